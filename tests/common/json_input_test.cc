// The bounded JSON reader: limits name the field, syntax errors say where, nothing recurses.
#include "common/json_input.h"

#include <gtest/gtest.h>

#include <string>

namespace sentinel {
namespace {

TEST(JsonInputTest, LimitsNameTheFieldAndSyntaxErrorsSayWhere) {
    json_input::Limits limits;
    limits.max_depth = 4;
    limits.max_values = 10;
    limits.max_string = 8;
    json_input::Problem problem;
    auto r = json_input::parse(R"({"a":{"b":[1,[2,[3]]]}})", limits, &problem);
    ASSERT_FALSE(r);
    EXPECT_EQ(problem, json_input::Problem::kLimit);
    EXPECT_EQ(r.error(), "field 'a.b[1][1]': nested deeper than 4 levels");
    r = json_input::parse(R"({"list":[1,2,3,4,5,6,7,8,9,10]})", limits, &problem);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "field 'list[8]': more than 10 values");
    r = json_input::parse(R"({"name":"0123456789"})", limits, &problem);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "field 'name': string longer than 8 bytes");
    r = json_input::parse("{\n \"a\": tru }", limits, &problem);
    ASSERT_FALSE(r);
    EXPECT_EQ(problem, json_input::Problem::kSyntax);
    EXPECT_NE(r.error().find("line 2"), std::string::npos) << r.error();
    r = json_input::parse(R"({"a":{"b":[1,[2]]},"c":"short"})", limits, &problem);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ((*r)["a"]["b"][1][0], 2);
    EXPECT_EQ(problem, json_input::Problem::kNone);
}

TEST(JsonInputTest, AMillionOpenArraysAreRefusedWithoutRecursion) {
    const std::string deep(1'000'000, '[');
    json_input::Problem problem;
    const auto r = json_input::parse(deep, {}, &problem);
    ASSERT_FALSE(r);
    EXPECT_EQ(problem, json_input::Problem::kLimit);
    std::string path;
    for (int i = 0; i < 32; ++i)
        path += "[0]";
    EXPECT_EQ(r.error(), "field '" + path + "': nested deeper than 32 levels");
}

TEST(JsonInputTest, SizeIsCheckedFirst) {
    json_input::Limits limits;
    limits.max_bytes = 4;
    const auto r = json_input::parse<nlohmann::ordered_json>("[1,2,3]", limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "document larger than 4 bytes");
}

}  // namespace
}  // namespace sentinel
