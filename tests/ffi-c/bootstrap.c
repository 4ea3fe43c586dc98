/*
 * Bootstrap and special ports from C, written against bridge/migz.h: a server space checks
 * in under a name, a client space looks it up and sends to it, every failure gets its exact
 * code (launchd's, the kernel's or mach_msg's), and the name is unknown again once the
 * server's receive right is gone. Returns 0 on success, otherwise the line of the first
 * failed check. The Rust side checks that neither space leaked.
 */
#include "migz.h"

#include <string.h>

#define CHECK(cond)          \
    do {                     \
        if (!(cond)) {       \
            return __LINE__; \
        }                    \
    } while (0)

static const char name[] = "migz.c.bootstrap.test";

int migz_c_bootstrap(migz1_mach_port_t server_task, migz1_mach_port_t client_task) {
    migz1_mach_port_t bp = 0, sp = 0, other = 0;

    /* The server: its bootstrap port, then check in. */
    CHECK(migz1_task_set_current(server_task) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_mach_task_self() == server_task);
    CHECK(migz1_task_get_special_port(server_task, MIGZ1_TASK_BOOTSTRAP_PORT, &bp) == MIGZ1_KERN_SUCCESS);
    CHECK(bp != MIGZ1_MACH_PORT_NULL);
    CHECK(migz1_bootstrap_look_up(bp, name, &sp) == MIGZ1_BOOTSTRAP_UNKNOWN_SERVICE);
    CHECK(migz1_bootstrap_check_in(bp, name, &sp) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_bootstrap_check_in(bp, name, &other) == MIGZ1_BOOTSTRAP_SERVICE_ACTIVE);
    /* Bad arguments: a name without a NUL within name_t, null pointers, a port that is
     * no bootstrap port, a right that is no send right. */
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK(migz1_bootstrap_look_up(bp, longname, &other) == MIGZ1_BOOTSTRAP_BAD_COUNT);
    CHECK(migz1_bootstrap_look_up(bp, 0, &other) == MIGZ1_KERN_INVALID_ARGUMENT);
    CHECK(migz1_bootstrap_look_up(bp, name, 0) == MIGZ1_KERN_INVALID_ARGUMENT);
    CHECK(migz1_bootstrap_look_up(0x4321, name, &other) == MIGZ1_MACH_SEND_INVALID_DEST);
    CHECK(migz1_bootstrap_look_up(server_task, name, &other) == MIGZ1_MIG_BAD_ID);
    CHECK(migz1_bootstrap_register(bp, "migz.c.other", sp) == MIGZ1_MACH_SEND_INVALID_RIGHT);

    /* The client: another space may not check in under the name, but finds it. */
    CHECK(migz1_task_set_current(client_task) == MIGZ1_KERN_SUCCESS);
    migz1_mach_port_t cbp = 0, svc = 0;
    CHECK(migz1_task_get_special_port(client_task, MIGZ1_TASK_BOOTSTRAP_PORT, &cbp) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_bootstrap_check_in(cbp, name, &other) == MIGZ1_BOOTSTRAP_NOT_PRIVILEGED);
    CHECK(migz1_bootstrap_look_up(cbp, name, &svc) == MIGZ1_KERN_SUCCESS);
    migz1_mach_msg_header_t hello = {MIGZ1_MACH_MSGH_BITS(MIGZ1_MACH_MSG_TYPE_COPY_SEND, 0), 24, svc, 0, 0, 77};
    CHECK(migz1_mach_msg(&hello, MIGZ1_MACH_SEND_MSG, 24, 0, 0, 0, 0) == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(migz1_bootstrap_register(cbp, name, svc) == MIGZ1_BOOTSTRAP_NOT_PRIVILEGED);

    /* The server receives it, then its receive right goes. */
    CHECK(migz1_task_set_current(server_task) == MIGZ1_KERN_SUCCESS);
    struct {
        migz1_mach_msg_header_t head;
        migz1_mach_msg_max_trailer_t trailer;
    } got;
    CHECK(migz1_mach_msg(&got, MIGZ1_MACH_RCV_MSG, 0, sizeof got, sp, 0, 0) == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(got.head.msgh_id == 77);
    CHECK(migz1_mach_port_mod_refs(server_task, sp, MIGZ1_MACH_PORT_RIGHT_RECEIVE, -1) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_mach_port_deallocate(server_task, bp) == MIGZ1_KERN_SUCCESS);

    /* The client's right is a dead name and the name is unknown again. */
    CHECK(migz1_task_set_current(client_task) == MIGZ1_KERN_SUCCESS);
    migz1_mach_port_type_t ty = 0;
    CHECK(migz1_mach_port_type(client_task, svc, &ty) == MIGZ1_KERN_SUCCESS);
    CHECK(ty == MIGZ1_MACH_PORT_TYPE_DEAD_NAME);
    CHECK(migz1_mach_port_deallocate(client_task, svc) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_bootstrap_look_up(cbp, name, &other) == MIGZ1_BOOTSTRAP_UNKNOWN_SERVICE);

    /* Special ports: the host port gains a reference per call; only the bootstrap port
     * can be set, to null and back. */
    migz1_mach_port_t host = migz1_mach_host_self(), again = 0;
    CHECK(host != MIGZ1_MACH_PORT_NULL);
    CHECK(migz1_task_get_special_port(client_task, MIGZ1_TASK_HOST_PORT, &again) == MIGZ1_KERN_SUCCESS);
    CHECK(again == host);
    migz1_mach_port_urefs_t refs = 0;
    CHECK(migz1_mach_port_get_refs(client_task, host, MIGZ1_MACH_PORT_RIGHT_SEND, &refs) == MIGZ1_KERN_SUCCESS);
    CHECK(refs == 2);
    CHECK(migz1_mach_port_mod_refs(client_task, host, MIGZ1_MACH_PORT_RIGHT_SEND, -2) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_task_get_special_port(client_task, 99, &other) == MIGZ1_KERN_INVALID_ARGUMENT);
    CHECK(migz1_task_set_special_port(client_task, MIGZ1_TASK_KERNEL_PORT, cbp) == MIGZ1_KERN_INVALID_ARGUMENT);
    CHECK(migz1_task_set_special_port(client_task, MIGZ1_TASK_BOOTSTRAP_PORT, 0) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_task_get_special_port(client_task, MIGZ1_TASK_BOOTSTRAP_PORT, &other) == MIGZ1_KERN_SUCCESS);
    CHECK(other == MIGZ1_MACH_PORT_NULL);
    CHECK(migz1_task_set_special_port(client_task, MIGZ1_TASK_BOOTSTRAP_PORT, cbp) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_mach_port_deallocate(client_task, cbp) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_task_set_special_port(client_task, MIGZ1_TASK_BOOTSTRAP_PORT, 0x7777) == MIGZ1_KERN_INVALID_NAME);
    CHECK(migz1_task_get_special_port(0x12345, MIGZ1_TASK_BOOTSTRAP_PORT, &other) == MIGZ1_KERN_INVALID_TASK);

    CHECK(migz1_task_set_current(0) == MIGZ1_KERN_SUCCESS);
    return 0;
}
