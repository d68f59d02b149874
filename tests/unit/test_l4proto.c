/* test_l4proto: protocol names and kinds, and how the view shows the
 * protocols without a letter of their own (GRE, ESP, any other). */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "l4proto.h"
#include "view.h"

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

	{
		size_t n;

		CHECK(l4proto_states(IPPROTO_TCP, &n) && n == 10);
		CHECK(l4proto_states(IPPROTO_UDP, &n) == NULL && n == 0);
		CHECK_STR(l4proto_state_name(IPPROTO_TCP, 3), "ESTABLISHED");
		CHECK_STR(l4proto_state_name(IPPROTO_SCTP, 9),
			  "HEARTBEAT_ACKED");
		CHECK_STR(l4proto_state_name(IPPROTO_DCCP, 4), "OPEN");
		CHECK_STR(l4proto_state_name(IPPROTO_TCP, 10), "?");
		CHECK(l4proto_state_name(IPPROTO_GRE, 0) == NULL);
	}
	CHECK(l4proto_ids(IPPROTO_TCP) == L4_IDS_PORTS);
	CHECK(l4proto_ids(IPPROTO_DCCP) == L4_IDS_PORTS);
	CHECK(l4proto_ids(IPPROTO_GRE) == L4_IDS_KEYS);
	CHECK(l4proto_ids(IPPROTO_ICMPV6) == L4_IDS_ICMP);
	CHECK(l4proto_ids(IPPROTO_ESP) == L4_IDS_NONE);
	CHECK(l4proto_ids(143) == L4_IDS_NONE);
}

static struct flow_row row(uint8_t family, uint8_t l4proto, uint16_t sport,
			   uint16_t dport)
{
	struct flow_row r;

	memset(&r, 0, sizeof(r));
	r.rec.family = family;
	r.rec.l4proto = l4proto;
	r.rec.orig.src.b[0] = family == AF_INET ? 192 : 0x20;
	r.rec.orig.dst.b[0] = family == AF_INET ? 198 : 0x20;
	r.rec.orig.sport = sport;
	r.rec.orig.dport = dport;
	return r;
}

static void test_view(void)
{
	struct view_opts o;
	struct flow_row gre = row(AF_INET, IPPROTO_GRE, 0x10, 0x35);
	struct flow_row esp = row(AF_INET6, IPPROTO_ESP, 0, 0);
	struct flow_row any = row(AF_INET, 143, 0, 0);
	struct flow_row dns = row(AF_INET, IPPROTO_UDP, 40000, 53);

	CHECK(view_proto_group(IPPROTO_GRE) == VIEW_OTHER);
	CHECK(view_proto_group(IPPROTO_ESP) == VIEW_OTHER);
	CHECK(view_proto_group(0) == VIEW_OTHER);
	CHECK(view_proto_group(IPPROTO_UDPLITE) == VIEW_UDP);
	CHECK((VIEW_ALL_PROTOS & VIEW_OTHER) && VIEW_NAMED_PROTOS ==
	      (VIEW_TCP | VIEW_UDP | VIEW_DCCP | VIEW_ICMP | VIEW_SCTP));

	view_opts_default(&o);
	CHECK(!view_match(&o, &gre) && !view_match(&o, &esp));
	o.protos = VIEW_NAMED_PROTOS;
	CHECK(!view_match(&o, &gre) && !view_match(&o, &any));
	o.protos = VIEW_OTHER;
	CHECK(view_match(&o, &gre) && view_match(&o, &esp) &&
	      view_match(&o, &any));
	CHECK(!view_match(&o, &dns));
	/* GRE key 0x35 is not port 53: not hidden as DNS, unlike UDP. */
	o.protos = VIEW_ALL_PROTOS;
	o.show_hidden = false;
	CHECK(view_match(&o, &gre) && !view_match(&o, &dns));
	o.ipv6 = false;
	CHECK(!view_match(&o, &esp));

	CHECK_STR(view_proto_name(IPPROTO_ESP, AF_INET6), "esp");
	CHECK_STR(view_state_name(&esp.rec), "UNREPLIED");
}

int main(void)
{
	test_names();
	test_view();
	return check_summary("l4proto");
}
