/* libdbus-1, opened on first use (lib/dynlib.h says why): the functions
   network/firewalld.c calls, and only when a system bus socket exists,
   so a host without firewalld never loads it.  */
#include <dbus/dbus.h>

#include "lib/dynlib.h"

/* libdbus-1 has kept the soname libdbus-1.so.3 since 1.0.  */
#if DBUS_MAJOR_VERSION != 1
#error "lib/lazy-dbus.c opens libdbus-1.so.3: check the soname of this libdbus"
#endif

struct cc_dynlib cc_dynlib_dbus = CC_DYNLIB_INIT ("libdbus-1.so.3", "talk to firewalld", "libdbus-1-3");

CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_error_init, (DBusError * error), (error))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_error_free, (DBusError * error), (error))
CC_DYNLIB_FN (cc_dynlib_dbus, dbus_bool_t, dbus_error_is_set, (const DBusError *error), (error))
CC_DYNLIB_FN (cc_dynlib_dbus, DBusConnection *, dbus_bus_get_private, (DBusBusType type, DBusError *error),
              (type, error))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_connection_set_exit_on_disconnect,
                   (DBusConnection * connection, dbus_bool_t exit_on_disconnect), (connection, exit_on_disconnect))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_connection_close, (DBusConnection * connection), (connection))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_connection_unref, (DBusConnection * connection), (connection))
CC_DYNLIB_FN (cc_dynlib_dbus, DBusMessage *, dbus_message_new_method_call,
              (const char *bus_name, const char *path, const char *iface, const char *method),
              (bus_name, path, iface, method))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_message_unref, (DBusMessage * message), (message))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_message_iter_init_append, (DBusMessage * message, DBusMessageIter *iter),
                   (message, iter))
CC_DYNLIB_FN (cc_dynlib_dbus, dbus_bool_t, dbus_message_iter_append_basic,
              (DBusMessageIter * iter, int type, const void *value), (iter, type, value))
CC_DYNLIB_FN (cc_dynlib_dbus, DBusMessage *, dbus_connection_send_with_reply_and_block,
              (DBusConnection * connection, DBusMessage *message, int timeout_milliseconds, DBusError *error),
              (connection, message, timeout_milliseconds, error))
CC_DYNLIB_FN (cc_dynlib_dbus, dbus_bool_t, dbus_message_iter_init, (DBusMessage * message, DBusMessageIter *iter),
              (message, iter))
CC_DYNLIB_FN (cc_dynlib_dbus, int, dbus_message_iter_get_arg_type, (DBusMessageIter * iter), (iter))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_message_iter_get_basic, (DBusMessageIter * iter, void *value), (iter, value))
CC_DYNLIB_VOID_FN (cc_dynlib_dbus, dbus_message_iter_recurse, (DBusMessageIter * iter, DBusMessageIter *sub),
                   (iter, sub))
CC_DYNLIB_FN (cc_dynlib_dbus, dbus_bool_t, dbus_message_iter_next, (DBusMessageIter * iter), (iter))
