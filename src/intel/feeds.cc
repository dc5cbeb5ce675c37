#include "intel/feeds.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "intel/domain.h"

namespace sentinel::intel {

namespace {

constexpr size_t kKeptBadLines = 3;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// Splits one CSV record; fields may be quoted with "" as an escaped quote.
std::vector<std::string> split_csv(std::string_view line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(std::string(trim(field)));
            field.clear();
        } else {
            field += c;
        }
    }
    fields.push_back(std::string(trim(field)));
    return fields;
}

// The host part of a URL ("http://user@host:port/path" → "host"); the input when it has no
// scheme.
std::string_view url_host(std::string_view url) {
    const size_t scheme = url.find("://");
    if (scheme != std::string_view::npos) {
        url.remove_prefix(scheme + 3);
    }
    const size_t end = url.find_first_of("/?#");
    if (end != std::string_view::npos) {
        url = url.substr(0, end);
    }
    const size_t at = url.rfind('@');
    if (at != std::string_view::npos) {
        url.remove_prefix(at + 1);
    }
    if (!url.empty() && url.front() == '[') {
        const size_t close = url.find(']');
        return close == std::string_view::npos ? std::string_view{} : url.substr(1, close - 1);
    }
    const size_t colon = url.find(':');
    if (colon != std::string_view::npos && url.find(':', colon + 1) == std::string_view::npos) {
        url = url.substr(0, colon);  // host:port (a bare IPv6 address has several colons)
    }
    return url;
}

// How a CSV column is interpreted.
enum class Column { kNone, kIp, kHost, kUrl, kIoc };

struct CsvLayout {
    int column = -1;
    int type_column = -1;  // ThreatFox ioc_type
    Column kind = Column::kNone;
    std::string name;
};

// Recognises a header row of the abuse.ch exports (and simple ip/domain/url headers).
bool parse_header(const std::vector<std::string>& fields, CsvLayout& layout) {
    CsvLayout found;
    int ioc_value = -1;
    int ioc_type = -1;
    for (size_t i = 0; i < fields.size(); ++i) {
        const std::string f = lower(fields[i]);
        const int col = static_cast<int>(i);
        if (f == "ioc_value") {
            ioc_value = col;
        } else if (f == "ioc_type") {
            ioc_type = col;
        } else if (found.kind == Column::kNone &&
                   (f == "dst_ip" || f == "dstip" || f == "ip_address" || f == "ip")) {
            found = {col, -1, Column::kIp, f};
        } else if (found.kind == Column::kNone &&
                   (f == "domain" || f == "host" || f == "hostname")) {
            found = {col, -1, Column::kHost, f};
        } else if (found.kind == Column::kNone && f == "url") {
            found = {col, -1, Column::kUrl, f};
        }
    }
    if (ioc_value >= 0 && ioc_type >= 0) {
        found = {ioc_value, ioc_type, Column::kIoc, "ioc_value"};
    }
    if (found.kind == Column::kNone) {
        return false;
    }
    layout = found;
    return true;
}

void note_bad(FeedReport& report, size_t line_number) {
    ++report.bad_lines;
    if (report.first_bad_lines.size() < kKeptBadLines) {
        report.first_bad_lines.push_back(line_number);
    }
}

bool valid_feed_domain(std::string_view name, DomainName& out) {
    if (!normalize_domain(name, out)) {
        return false;
    }
    const std::string_view n = out.view();
    if (n.find('.') == std::string_view::npos) {
        return false;
    }
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

size_t table_size(size_t entries) {
    size_t n = 8;
    while (n < entries * 2) {
        n <<= 1;
    }
    return n;
}

}  // namespace

// ---- FeedIndex ----------------------------------------------------------------------------

Verdict FeedIndex::verdict_for(int16_t feed) const {
    if (feed < 0) {
        return {};
    }
    Verdict v;
    v.tier = tiers_[static_cast<size_t>(feed)];
    v.source = "FEED";
    v.detail = names_[static_cast<size_t>(feed)];
    return v;
}

int16_t FeedIndex::worse(int16_t a, int16_t b) const {
    if (a < 0) {
        return b;
    }
    if (b < 0) {
        return a;
    }
    return tiers_[static_cast<size_t>(b)] > tiers_[static_cast<size_t>(a)] ? b : a;
}

int16_t FeedIndex::trie_lookup(const std::vector<TrieNode>& trie, const IpAddress& address,
                               size_t bits) const {
    if (trie.empty()) {
        return -1;
    }
    int16_t best = trie[0].feed;
    uint32_t node = 0;
    for (size_t i = 0; i < bits; ++i) {
        const int bit = (address.bytes()[i / 8] >> (7 - i % 8)) & 1;
        node = trie[node].child[bit];
        if (node == 0) {
            break;
        }
        best = worse(best, trie[node].feed);
    }
    return best;
}

Verdict FeedIndex::ip(const IpAddress& address) const {
    int16_t best = -1;
    if (!ips_.empty()) {
        const size_t mask = ips_.size() - 1;
        for (size_t slot = IpAddressHash{}(address)&mask; ips_[slot].feed >= 0;
             slot = (slot + 1) & mask) {
            if (ips_[slot].ip == address) {
                best = ips_[slot].feed;
                break;
            }
        }
    }
    if (address.is_v4()) {
        best = worse(best, trie_lookup(trie_v4_, address, 32));
    } else if (address.is_v6()) {
        best = worse(best, trie_lookup(trie_v6_, address, 128));
    }
    return verdict_for(best);
}

int16_t FeedIndex::domain_lookup(std::string_view name) const {
    const size_t mask = domains_.size() - 1;
    const uint64_t hash = hash_domain(name);
    for (size_t slot = hash & mask; domains_[slot].feed >= 0; slot = (slot + 1) & mask) {
        const DomainSlot& d = domains_[slot];
        if (d.hash == hash && std::string_view(arena_).substr(d.offset, d.length) == name) {
            return d.feed;
        }
    }
    return -1;
}

Verdict FeedIndex::domain(std::string_view name) const {
    if (domains_.empty()) {
        return {};
    }
    int16_t best = -1;
    // The name itself, then every parent domain (at most one probe per label).
    size_t start = 0;
    while (start < name.size()) {
        best = worse(best, domain_lookup(name.substr(start)));
        const size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return verdict_for(best);
}

// ---- FeedIndexBuilder ---------------------------------------------------------------------

FeedIndexBuilder::FeedIndexBuilder(std::vector<std::string_view> names, std::vector<Tier> tiers)
    : names_(std::move(names)), tiers_(std::move(tiers)), index_(new FeedIndex) {
    index_->names_ = names_;
    index_->tiers_ = tiers_;
}

void FeedIndexBuilder::add_ip(const IpAddress& ip, int16_t feed) { ips_.emplace_back(ip, feed); }

void FeedIndexBuilder::add_cidr(const IpAddress& network, uint8_t prefix, int16_t feed) {
    std::vector<FeedIndex::TrieNode>& trie = network.is_v4() ? index_->trie_v4_ : index_->trie_v6_;
    if (trie.empty()) {
        trie.emplace_back();
    }
    uint32_t node = 0;
    for (size_t i = 0; i < prefix; ++i) {
        const int bit = (network.bytes()[i / 8] >> (7 - i % 8)) & 1;
        if (trie[node].child[bit] == 0) {
            trie[node].child[bit] = static_cast<uint32_t>(trie.size());
            trie.emplace_back();
        }
        node = trie[node].child[bit];
    }
    trie[node].feed = index_->worse(trie[node].feed, feed);
}

bool FeedIndexBuilder::add_host(std::string_view host, int16_t feed) {
    if (const auto ip = IpAddress::parse(host)) {
        add_ip(*ip, feed);
        return true;
    }
    DomainName name;
    if (!valid_feed_domain(host, name)) {
        return false;
    }
    domains_.emplace_back(std::string(name.view()), feed);
    return true;
}

FeedReport FeedIndexBuilder::add_text(size_t feed_number, std::string_view text) {
    const auto feed = static_cast<int16_t>(feed_number);
    FeedReport report;
    report.name = std::string(names_[feed_number]);
    report.readable = true;
    report.format = "list";
    CsvLayout layout;
    bool csv = false;
    size_t line_number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_number;
        if (line.empty()) {
            continue;
        }
        if (line.front() == '#' || line.front() == ';') {
            // abuse.ch exports put their CSV header in a comment ("# id,dateadded,url,...").
            const std::string_view body = trim(line.substr(1));
            if (body.find(',') != std::string_view::npos && parse_header(split_csv(body), layout)) {
                csv = true;
                report.format = "csv:" + layout.name;
            }
            continue;
        }
        const bool looks_csv = line.front() == '"' || line.find(',') != std::string_view::npos;
        if (looks_csv) {
            const std::vector<std::string> fields = split_csv(line);
            // Only before the first header: a data value such as "domain" must not re-map.
            if (!csv && parse_header(fields, layout)) {
                csv = true;
                report.format = "csv:" + layout.name;
                continue;
            }
            if (!csv || layout.column >= static_cast<int>(fields.size()) ||
                layout.type_column >= static_cast<int>(fields.size())) {
                note_bad(report, line_number);
                continue;
            }
            std::string_view value = fields[static_cast<size_t>(layout.column)];
            Column kind = layout.kind;
            if (kind == Column::kIoc) {
                const std::string type = lower(fields[static_cast<size_t>(layout.type_column)]);
                if (type == "ip:port") {
                    kind = Column::kUrl;  // url_host() strips the port
                } else if (type == "domain") {
                    kind = Column::kHost;
                } else if (type == "url") {
                    kind = Column::kUrl;
                } else {
                    ++report.skipped;  // hashes and other indicator types
                    continue;
                }
            }
            if (kind == Column::kUrl) {
                value = url_host(value);
            }
            if (add_host(value, feed)) {
                ++report.entries;
            } else {
                note_bad(report, line_number);
            }
            continue;
        }
        // A plain list: IP, CIDR, domain or URL, optionally with a trailing comment.
        const size_t comment = line.find_first_of("#;");
        if (comment != std::string_view::npos) {
            line = trim(line.substr(0, comment));
        }
        std::string_view token = line;
        const size_t space = line.find_first_of(" \t");
        if (space != std::string_view::npos) {
            // A hosts-file line ("0.0.0.0 evil.example other.example") lists its names; the
            // usual "127.0.0.1 localhost" lines are skipped.
            if (!IpAddress::parse(line.substr(0, space))) {
                note_bad(report, line_number);
                continue;
            }
            std::string_view rest = trim(line.substr(space));
            bool bad = false;
            while (!rest.empty()) {
                const size_t end = rest.find_first_of(" \t");
                const std::string_view name = rest.substr(0, end);
                rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
                DomainName d;
                if (name.find('.') == std::string_view::npos || name.starts_with("localhost")) {
                    ++report.skipped;
                } else if (valid_feed_domain(name, d)) {
                    domains_.emplace_back(std::string(d.view()), feed);
                    ++report.entries;
                } else {
                    bad = true;
                }
            }
            if (bad) {
                note_bad(report, line_number);
            }
            continue;
        }
        bool ok = false;
        if (token.find('/') != std::string_view::npos &&
            token.find("://") == std::string_view::npos) {
            if (const auto cidr = Cidr::parse(token)) {
                add_cidr(cidr->network(), cidr->prefix_len(), feed);
                ok = true;
            }
        } else {
            ok = add_host(token.find("://") != std::string_view::npos ? url_host(token) : token,
                          feed);
        }
        if (ok) {
            ++report.entries;
        } else {
            note_bad(report, line_number);
        }
    }
    return report;
}

FeedReport FeedIndexBuilder::add_file(size_t feed, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        FeedReport report;
        report.name = std::string(names_[feed]);
        report.error = "cannot be read";
        return report;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return add_text(feed, text.str());
}

std::unique_ptr<FeedIndex> FeedIndexBuilder::build() {
    FeedIndex& index = *index_;
    index.entries_ = ips_.size() + domains_.size();
    if (!ips_.empty()) {
        index.ips_.assign(table_size(ips_.size()), {});
        const size_t mask = index.ips_.size() - 1;
        for (const auto& [ip, feed] : ips_) {
            size_t slot = IpAddressHash{}(ip)&mask;
            while (index.ips_[slot].feed >= 0 && !(index.ips_[slot].ip == ip)) {
                slot = (slot + 1) & mask;
            }
            index.ips_[slot].ip = ip;
            index.ips_[slot].feed = index.worse(index.ips_[slot].feed, feed);
        }
    }
    if (!domains_.empty()) {
        index.domains_.assign(table_size(domains_.size()), {});
        const size_t mask = index.domains_.size() - 1;
        for (const auto& [name, feed] : domains_) {
            const uint64_t hash = hash_domain(name);
            size_t slot = hash & mask;
            while (index.domains_[slot].feed >= 0 &&
                   !(index.domains_[slot].hash == hash &&
                     std::string_view(index.arena_)
                             .substr(index.domains_[slot].offset, index.domains_[slot].length) ==
                         name)) {
                slot = (slot + 1) & mask;
            }
            FeedIndex::DomainSlot& d = index.domains_[slot];
            if (d.feed < 0) {
                d.hash = hash;
                d.offset = static_cast<uint32_t>(index.arena_.size());
                d.length = static_cast<uint8_t>(name.size());
                index.arena_ += name;
            }
            d.feed = index.worse(d.feed, feed);
        }
    }
    // Entries counted across trie nodes too (each CIDR line is one entry).
    for (const auto* trie : {&index.trie_v4_, &index.trie_v6_}) {
        for (const auto& node : *trie) {
            index.entries_ += node.feed >= 0 ? 1 : 0;
        }
    }
    return std::move(index_);
}

// ---- FeedSet ------------------------------------------------------------------------------

FeedSet::FeedSet(std::vector<FeedSpec> specs) : specs_(std::move(specs)) {
    names_.reserve(specs_.size());
    for (const FeedSpec& spec : specs_) {
        const size_t slash = spec.path.find_last_of("/\\");
        names_.push_back(slash == std::string::npos ? spec.path : spec.path.substr(slash + 1));
    }
    seen_.resize(specs_.size());
}

FeedSet::Signature FeedSet::signature(const std::string& path) const {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};
    }
    Signature s;
    s.exists = true;
#if defined(__APPLE__)
    s.mtime_ns =
        static_cast<int64_t>(st.st_mtimespec.tv_sec) * 1'000'000'000 + st.st_mtimespec.tv_nsec;
#elif defined(_WIN32)
    s.mtime_ns = static_cast<int64_t>(st.st_mtime) * 1'000'000'000;
#else
    s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
#endif
    s.size = static_cast<uint64_t>(st.st_size);
    return s;
}

bool FeedSet::changed() const {
    if (!loaded_) {
        return true;
    }
    for (size_t i = 0; i < specs_.size(); ++i) {
        if (!(signature(specs_[i].path) == seen_[i])) {
            return true;
        }
    }
    return false;
}

std::unique_ptr<FeedIndex> FeedSet::load(std::vector<FeedReport>& reports) {
    std::vector<std::string_view> names(names_.begin(), names_.end());
    std::vector<Tier> tiers;
    for (const FeedSpec& spec : specs_) {
        tiers.push_back(spec.tier);
    }
    FeedIndexBuilder builder(std::move(names), std::move(tiers));
    reports.clear();
    for (size_t i = 0; i < specs_.size(); ++i) {
        // Signature first: a write racing with the read shows up as a change next time.
        seen_[i] = signature(specs_[i].path);
        reports.push_back(builder.add_file(i, specs_[i].path));
    }
    loaded_ = true;
    return builder.build();
}

}  // namespace sentinel::intel
