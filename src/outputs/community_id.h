#pragma once

#include <cstdint>
#include <string>

#include "schema/alert.h"

namespace sentinel::outputs {

// Community ID v1 of a flow (https://github.com/corelight/community-id-spec): "1:" plus the
// base64 SHA-1 of seed, the ordered endpoints, the protocol and (for TCP, UDP, SCTP, ICMP and
// ICMPv6) the ports. ICMP types and codes travel in the port fields, as schema::Flow holds them.
// Empty when an address does not parse or the two addresses are of different families.
std::string community_id(const schema::Flow& flow, uint16_t seed = 0);

}  // namespace sentinel::outputs
