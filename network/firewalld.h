/* firewalld over D-Bus (issue 17): its runtime zones.  Internal to
   network/.  */
#ifndef CC_NETWORK_FIREWALLD_H
#define CC_NETWORK_FIREWALLD_H

#include <cJSON.h>
#include <stdbool.h>

#include "lib/error.h"

/* The zone ccompose's bridges join: firewalld ships it everywhere, its
   target ACCEPT lets what comes from the bridge through firewalld's
   forward chain, which rejects what no zone accepts (see firewalld.c).  */
#define CC_FIREWALLD_ZONE "trusted"

struct cc_firewalld;

/* A connection to the firewalld that runs in the calling thread's
   network namespace; *OUT NULL (and 0) when none does.  */
int cc_firewalld_connect (struct cc_firewalld **out, cc_error_t *err);
void cc_firewalld_disconnect (struct cc_firewalld **fw);
#define cleanup_firewalld __attribute__ ((cleanup (cc_firewalld_disconnect)))

/* The zone IFACE is bound to, "" for none.  */
int cc_firewalld_zone_of (struct cc_firewalld *fw, const char *iface, char **zone, cc_error_t *err);
int cc_firewalld_add (struct cc_firewalld *fw, const char *zone, const char *iface, cc_error_t *err);
/* IFACE not in ZONE (any more) is success.  */
int cc_firewalld_remove (struct cc_firewalld *fw, const char *zone, const char *iface, cc_error_t *err);
/* The interfaces ZONE binds in the permanent configuration (what a
   reload or a restart of firewalld reads), and ON: bind IFACE there,
   else unbind it (either done already is success).  */
int cc_firewalld_permanent (struct cc_firewalld *fw, const char *zone, char ***ifaces, cc_error_t *err);
int cc_firewalld_permanent_set (struct cc_firewalld *fw, const char *zone, const char *iface, bool on, cc_error_t *err);
/* Every runtime binding of an interface to a zone, as "zone interface".  */
int cc_firewalld_bindings (struct cc_firewalld *fw, char ***out, cc_error_t *err);

/* For the networks of network/ (state.h's records).  NET's bridge joins
   the zone, recorded in NET ("firewalld_zone") and saved by SAVE before
   firewalld hears of it, unless firewalld binds it already.  */
struct cc_net_state;
int cc_net_firewalld_join (struct cc_net_state *st, cJSON *net, cc_error_t *err);
/* NET's bridge leaves the zone it was recorded in.  */
int cc_net_firewalld_leave (const cJSON *net, cc_error_t *err);
/* Bridges of this namespace's networks that left their recorded zone
   (firewalld restarted): one line each in *NOTES (may be NULL); with
   FIX, back in.  */
int cc_net_firewalld_check (const cJSON *root, bool fix, char ***notes, cc_error_t *err);
/* cc* interfaces in firewalld's zones that no network of ROOT records:
   one line each in *FOUND; with FIX, taken out.  */
int cc_net_firewalld_residue (const cJSON *root, bool fix, char ***found, cc_error_t *err);

#endif
