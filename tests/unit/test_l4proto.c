/* test_l4proto: protocol names and kinds. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "l4proto.h"

static void test_names(void)
{
	char want[32];
	int i;

	CHECK_STR(l4proto_name(IPPROTO_TCP), "tcp");
	CHECK_STR(l4proto_name(IPPROTO_GRE), "gre");
	CHECK_STR(l4proto_name(IPPROTO_ESP), "esp");
	CHECK_STR(l4proto_name(IPPROTO_AH), "ah");
	CHECK_STR(l4proto_name(IPPROTO_ICMPV6), "icmpv6");
	CHECK_STR(l4proto_name(IPPROTO_UDPLITE), "udplite");
	CHECK_STR(l4proto_name(41), "6in4");
	CHECK_STR(l4proto_name(0), "ip-proto-0");
	CHECK_STR(l4proto_name(99), "ip-proto-99");
	CHECK_STR(l4proto_name(255), "ip-proto-255");
	/* Every number has a name, and the name reads back as it. */
	for (i = 0; i < 256; i++) {
		const char *n = l4proto_name((uint8_t)i);

		CHECK(n && *n);
		CHECK(l4proto_parse(n) == i);
		snprintf(want, sizeof(want), "%d", i);
		CHECK(l4proto_parse(want) == i);
		if (strncmp(n, "ip-proto-", 9) == 0)
			CHECK_STR(n + 9, want);
	}
	CHECK(l4proto_parse("ICMP6") == IPPROTO_ICMPV6);
	CHECK(l4proto_parse("ipv6-icmp") == IPPROTO_ICMPV6);
	CHECK(l4proto_parse("udp-lite") == IPPROTO_UDPLITE);
	CHECK(l4proto_parse("IP-PROTO-50") == IPPROTO_ESP);
	CHECK(l4proto_parse("256") == -1);
	CHECK(l4proto_parse("ip-proto-") == -1);
	CHECK(l4proto_parse("ip-proto-1x") == -1);
	CHECK(l4proto_parse("-1") == -1);
	CHECK(l4proto_parse("") == -1);
	CHECK(l4proto_parse("bogus") == -1);

	CHECK(l4proto_ids(IPPROTO_TCP) == L4_IDS_PORTS);
	CHECK(l4proto_ids(IPPROTO_DCCP) == L4_IDS_PORTS);
	CHECK(l4proto_ids(IPPROTO_GRE) == L4_IDS_KEYS);
	CHECK(l4proto_ids(IPPROTO_ICMPV6) == L4_IDS_ICMP);
	CHECK(l4proto_ids(IPPROTO_ESP) == L4_IDS_NONE);
	CHECK(l4proto_ids(143) == L4_IDS_NONE);
}

int main(void)
{
	test_names();
	return check_summary("l4proto");
}
