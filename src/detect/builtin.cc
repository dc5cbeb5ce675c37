// The built-in detectors. Adding one: a folder under detectors/ and one line here.
#include "detect/detectors/arp_spoof/arp_spoof.h"
#include "detect/detectors/brute_force/brute_force.h"
#include "detect/detectors/dns_tunnel/dns_tunnel.h"
#include "detect/detectors/exfiltration/exfiltration.h"
#include "detect/detectors/icmp_flood/icmp_flood.h"
#include "detect/detectors/port_scan/port_scan.h"
#include "detect/detectors/suspicious_port/suspicious_port.h"
#include "detect/detectors/syn_flood/syn_flood.h"
#include "detect/registry.h"

namespace sentinel::detect {

void register_builtin(Registry& r) {
    // The original agent's order: alerts fired by one packet come out in the same order.
    r.add("port_scan", &create_port_scan);
    r.add("syn_flood", &create_syn_flood);
    r.add("icmp_flood", &create_icmp_flood);
    r.add("suspicious_port", &create_suspicious_port);
    r.add("arp_spoof", &create_arp_spoof);
    r.add("dns_tunnel", &create_dns_tunnel);
    r.add("exfiltration", &create_exfiltration);
    r.add("brute_force", &create_brute_force);
}

}  // namespace sentinel::detect
