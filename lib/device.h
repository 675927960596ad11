/* Docker's rules for what `devices` and `device_cgroup_rules` may say.
   The compose model reports a breach at its file:line:col; the runtime
   checks the spec it is handed again, with the same rules.  */
#ifndef CC_LIB_DEVICE_H
#define CC_LIB_DEVICE_H

#include <stdbool.h>

/* Docker's validDeviceMode: one to three of r, w and m, none twice.  */
bool cc_device_mode_ok (const char *perms);
/* Docker's ValidateDeviceCgroupRule: `TYPE MAJOR:MINOR PERMS`, TYPE one
   of a, b and c, MAJOR and MINOR digits or `*`.  */
bool cc_device_rule_ok (const char *rule);
/* A device's path in the container: below /dev/, with no `..` component
   that would climb out of the container's /dev.  */
bool cc_device_target_ok (const char *path);

#endif
