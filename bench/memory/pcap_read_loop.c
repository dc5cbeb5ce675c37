/* The floor any pcap reader pays: open a capture file with libpcap and read every frame with
 * pcap_next_ex, touching one byte of each. Prints the frame count. Used by measure_footprint.sh
 * beside tcpdump and sentinel-agent. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    char error[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(argv[1], error);
    if (p == NULL) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    struct pcap_pkthdr* header;
    const u_char* data;
    unsigned long long frames = 0, sum = 0;
    while (pcap_next_ex(p, &header, &data) == 1) {
        ++frames;
        sum += header->caplen > 0 ? data[0] : 0;
    }
    pcap_close(p);
    printf("%llu frames (%llu)\n", frames, sum & 1);
    return 0;
}
