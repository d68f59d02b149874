/* ui_offload: what the screen says of flows a flowtable forwards: the
 * OFL column, the details' lines, and once, when it is proven, that their
 * counters are frozen (offload.h says how that is told). */
#define NCURSES_WIDECHAR 1

#include <inttypes.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "collector.h"
#include "ui_impl.h"

const char *ui_offload_flag(const struct flow_rec *r)
{
	if (r->status & IPS_HW_OFFLOAD)
		return "hw";
	return r->status & IPS_OFFLOAD ? "sw" : "";
}

void ui_offload_news(struct ui *u)
{
	if (!u->st.offload_frozen || u->said_frozen)
		return;
	u->said_frozen = true;
	ui_message(u, true, "Offloaded flows' counters are frozen: their "
		   "flowtable has no 'counter' flag, so their bytes and rates "
		   "stop where the offload began");
}

int ui_offload_details(const struct ui *u, const struct flow_rec *c,
		       char (*ln)[UI_TEXT], int n, int max)
{
	if (!(c->status & (IPS_OFFLOAD | IPS_HW_OFFLOAD)) || n + 2 > max)
		return n;
	ui_fmt(ln[n++], UI_TEXT, "Offload      %s", c->status & IPS_HW_OFFLOAD ?
	       "hardware (IPS_HW_OFFLOAD): the network device forwards it" :
	       "software (IPS_OFFLOAD): a flowtable forwards it, past "
	       "conntrack");
	if (u->st.offload_frozen)
		ui_fmt(ln[n++], UI_TEXT, "             its counters are frozen:"
		       " %" PRIu64 " offloaded flows counted nothing (no "
		       "'counter' flag on the flowtable)",
		       u->st.offload_frozen);
	else
		ui_fmt(ln[n++], UI_TEXT, "             its counters move only "
		       "if the flowtable has the 'counter' flag");
	return n;
}
