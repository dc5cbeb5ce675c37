#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "intel/reputation.h"

namespace sentinel::intel {

// What one load of one feed file found. Lines that are neither an entry, a comment nor a
// recognised CSV header are counted as bad; up to three of their line numbers are kept.
struct FeedReport {
    std::string name;    // file name without directories
    std::string format;  // "list", "csv" (with the column used), or "" when unread
    bool readable = false;
    std::string error;  // why the file could not be read
    size_t entries = 0;
    size_t skipped = 0;  // understood but not usable (e.g. a hash in a ThreatFox export)
    size_t bad_lines = 0;
    std::vector<size_t> first_bad_lines;
};

// An immutable lookup structure over every feed. Built off the packet path, then handed to the
// packet thread, which only reads it. Every lookup is bounded: an exact-address hash probe, a
// CIDR trie walk of at most 32 or 128 steps, and one hash probe per label of a domain name.
class FeedIndex {
  public:
    // The most severe feed verdict for an address (CLEAN when no feed lists it).
    Verdict ip(const IpAddress& address) const;
    // The most severe verdict for a normalized name or any of its parent domains.
    Verdict domain(std::string_view normalized) const;

    size_t entries() const { return entries_; }

  private:
    friend class FeedIndexBuilder;

    struct IpSlot {
        IpAddress ip;
        int16_t feed = -1;
    };
    struct TrieNode {
        uint32_t child[2] = {0, 0};  // 0: none (the root is never a child)
        int16_t feed = -1;
    };
    struct DomainSlot {
        uint64_t hash = 0;
        uint32_t offset = 0;
        uint8_t length = 0;
        int16_t feed = -1;
    };

    Verdict verdict_for(int16_t feed) const;
    int16_t worse(int16_t a, int16_t b) const;
    int16_t trie_lookup(const std::vector<TrieNode>& trie, const IpAddress& address,
                        size_t bits) const;
    int16_t domain_lookup(std::string_view name) const;

    std::vector<Tier> tiers_;
    std::vector<std::string_view> names_;
    std::vector<IpSlot> ips_;  // power-of-two size, linear probing
    std::vector<TrieNode> trie_v4_;
    std::vector<TrieNode> trie_v6_;
    std::vector<DomainSlot> domains_;  // power-of-two size, linear probing
    std::string arena_;                // the listed domain names, back to back
    size_t entries_ = 0;
};

// Parses feed text and builds a FeedIndex. Feed names are kept as string_views: their storage
// must outlive every index built from them.
class FeedIndexBuilder {
  public:
    // names[i] and tiers[i] describe feed i.
    FeedIndexBuilder(std::vector<std::string_view> names, std::vector<Tier> tiers);

    // Adds the entries of one feed's text (see docs/reputation.md for the formats).
    FeedReport add_text(size_t feed, std::string_view text);
    // Reads and adds a file; an unreadable file gives a report with readable = false.
    FeedReport add_file(size_t feed, const std::string& path);

    std::unique_ptr<FeedIndex> build();

  private:
    void add_ip(const IpAddress& ip, int16_t feed);
    void add_cidr(const IpAddress& network, uint8_t prefix, int16_t feed);
    bool add_host(std::string_view host, int16_t feed);  // IP or domain

    std::vector<std::string_view> names_;
    std::vector<Tier> tiers_;
    std::vector<std::pair<IpAddress, int16_t>> ips_;
    std::vector<std::pair<std::string, int16_t>> domains_;
    std::unique_ptr<FeedIndex> index_;
};

// One configured feed file and the name used in alert suffixes.
struct FeedSpec {
    std::string path;
    Tier tier = Tier::kHigh;
};

// The configured feeds on disk: notices changes (modification time and size) and rebuilds the
// index. Used by one background thread.
class FeedSet {
  public:
    explicit FeedSet(std::vector<FeedSpec> specs);

    bool empty() const { return specs_.empty(); }
    // True when any file's modification time or size differs from the last load (or it
    // appeared or disappeared); always true before the first load.
    bool changed() const;
    // Reads every file and builds a fresh index; reports describe each file.
    std::unique_ptr<FeedIndex> load(std::vector<FeedReport>& reports);

  private:
    struct Signature {
        bool exists = false;
        int64_t mtime_ns = 0;
        uint64_t size = 0;
        friend bool operator==(const Signature&, const Signature&) = default;
    };
    Signature signature(const std::string& path) const;

    std::vector<FeedSpec> specs_;
    std::vector<std::string> names_;  // stable: indices point into these
    std::vector<Signature> seen_;
    bool loaded_ = false;
};

}  // namespace sentinel::intel
