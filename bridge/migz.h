/*
 * migz.h - the C ABI of migz's local Mach port emulation (library: libmigz_ffi.a).
 *
 * Version 1 of the contract: every symbol carries the `migz1_` prefix and every type and
 * constant the `migz1_`/`MIGZ1_` prefix, so this header can be included next to Apple's
 * <mach/mach.h> without clashing. Values are xnu's own (kern_return.h, message.h,
 * port.h, notify.h), and the functions have the parameters and return codes of the kernel
 * calls they are named after, so code written once runs on the kernel (with the prefix
 * mapped away) and on the emulation. Messages use the xnu LP64 wire format.
 *
 * Plain C99: includes only <stdint.h> and <stddef.h>. Zig imports it with @cImport and
 * Rust may generate bindings with bindgen. See bridge/README.md for ownership and
 * threading rules.
 */
#ifndef MIGZ1_H
#define MIGZ1_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Types ------------------------------------------------------------------------ */

typedef uint32_t migz1_mach_port_t;        /* mach_port_t / mach_port_name_t */
typedef int32_t migz1_kern_return_t;       /* kern_return_t */
typedef int32_t migz1_mach_msg_return_t;   /* mach_msg_return_t */
typedef int32_t migz1_mach_msg_option_t;   /* mach_msg_option_t */
typedef uint32_t migz1_mach_msg_size_t;    /* mach_msg_size_t */
typedef uint32_t migz1_mach_msg_timeout_t; /* mach_msg_timeout_t, milliseconds */
typedef uint32_t migz1_mach_msg_bits_t;    /* mach_msg_bits_t */
typedef int32_t migz1_mach_msg_id_t;       /* mach_msg_id_t */
typedef uint32_t migz1_mach_msg_type_name_t;     /* mach_msg_type_name_t */
typedef uint32_t migz1_mach_msg_type_number_t;   /* mach_msg_type_number_t */
typedef uint32_t migz1_mach_port_right_t;  /* mach_port_right_t */
typedef uint32_t migz1_mach_port_type_t;   /* mach_port_type_t */
typedef uint32_t migz1_mach_port_urefs_t;  /* mach_port_urefs_t */
typedef int32_t migz1_mach_port_delta_t;   /* mach_port_delta_t */
typedef uint32_t migz1_mach_port_mscount_t; /* mach_port_mscount_t */
typedef int32_t migz1_mach_port_flavor_t;  /* mach_port_flavor_t */
typedef uint64_t migz1_mach_port_context_t; /* mach_port_context_t (LP64) */
typedef uintptr_t migz1_vm_address_t;      /* vm_address_t */
typedef uintptr_t migz1_vm_size_t;         /* vm_size_t */

#define MIGZ1_MACH_PORT_NULL ((migz1_mach_port_t)0)
#define MIGZ1_MACH_PORT_DEAD ((migz1_mach_port_t)~0u)

/* ---- Return codes (kern_return.h, message.h) -------------------------------------- */

#define MIGZ1_KERN_SUCCESS 0
#define MIGZ1_KERN_INVALID_ADDRESS 1
#define MIGZ1_KERN_NO_SPACE 3
#define MIGZ1_KERN_INVALID_ARGUMENT 4
#define MIGZ1_KERN_FAILURE 5
#define MIGZ1_KERN_RESOURCE_SHORTAGE 6
#define MIGZ1_KERN_NOT_RECEIVER 7
#define MIGZ1_KERN_ALREADY_IN_SET 11
#define MIGZ1_KERN_NOT_IN_SET 12
#define MIGZ1_KERN_NAME_EXISTS 13
#define MIGZ1_KERN_INVALID_NAME 15
#define MIGZ1_KERN_INVALID_TASK 16
#define MIGZ1_KERN_INVALID_RIGHT 17
#define MIGZ1_KERN_INVALID_VALUE 18
#define MIGZ1_KERN_UREFS_OVERFLOW 19
#define MIGZ1_KERN_INVALID_CAPABILITY 20
#define MIGZ1_KERN_RIGHT_EXISTS 21

#define MIGZ1_MACH_MSG_SUCCESS 0x00000000
#define MIGZ1_MACH_MSG_IPC_SPACE 0x00002000
#define MIGZ1_MACH_MSG_VM_SPACE 0x00001000
#define MIGZ1_MACH_SEND_INVALID_DATA 0x10000002
#define MIGZ1_MACH_SEND_INVALID_DEST 0x10000003
#define MIGZ1_MACH_SEND_TIMED_OUT 0x10000004
#define MIGZ1_MACH_SEND_MSG_TOO_SMALL 0x10000008
#define MIGZ1_MACH_SEND_INVALID_REPLY 0x10000009
#define MIGZ1_MACH_SEND_INVALID_RIGHT 0x1000000a
#define MIGZ1_MACH_SEND_INVALID_MEMORY 0x1000000c
#define MIGZ1_MACH_SEND_TOO_LARGE 0x1000000e
#define MIGZ1_MACH_SEND_INVALID_TYPE 0x1000000f
#define MIGZ1_MACH_SEND_INVALID_HEADER 0x10000010
#define MIGZ1_MACH_SEND_INVALID_OPTIONS 0x10000013
#define MIGZ1_MACH_RCV_INVALID_NAME 0x10004002
#define MIGZ1_MACH_RCV_TIMED_OUT 0x10004003
#define MIGZ1_MACH_RCV_TOO_LARGE 0x10004004
#define MIGZ1_MACH_RCV_INVALID_DATA 0x10004008
#define MIGZ1_MACH_RCV_PORT_DIED 0x10004009
#define MIGZ1_MACH_RCV_HEADER_ERROR 0x1000400b
#define MIGZ1_MACH_RCV_BODY_ERROR 0x1000400c
#define MIGZ1_MACH_RCV_INVALID_TRAILER 0x1000400f

/* ---- mach_msg options ------------------------------------------------------------- */

#define MIGZ1_MACH_SEND_MSG 0x00000001
#define MIGZ1_MACH_RCV_MSG 0x00000002
#define MIGZ1_MACH_RCV_LARGE 0x00000004
#define MIGZ1_MACH_SEND_TIMEOUT 0x00000010
#define MIGZ1_MACH_SEND_INTERRUPT 0x00000040
#define MIGZ1_MACH_RCV_TIMEOUT 0x00000100
#define MIGZ1_MACH_RCV_INTERRUPT 0x00000400
#define MIGZ1_MACH_RCV_TRAILER_TYPE(x) ((int32_t)(((uint32_t)(x) & 0xfu) << 28))
#define MIGZ1_MACH_RCV_TRAILER_ELEMENTS(x) ((int32_t)(((uint32_t)(x) & 0xfu) << 24))
#define MIGZ1_MACH_MSG_TRAILER_FORMAT_0 0
#define MIGZ1_MACH_RCV_TRAILER_NULL 0
#define MIGZ1_MACH_RCV_TRAILER_SEQNO 1
#define MIGZ1_MACH_RCV_TRAILER_SENDER 2
#define MIGZ1_MACH_RCV_TRAILER_AUDIT 3
#define MIGZ1_MACH_RCV_TRAILER_CTX 4
#define MIGZ1_MACH_RCV_TRAILER_AV 5
#define MIGZ1_MACH_RCV_TRAILER_LABELS 6
/* Receive buffers should leave this much room after the message. */
#define MIGZ1_MAX_TRAILER_SIZE 68

/* ---- Dispositions and header bits ------------------------------------------------- */

#define MIGZ1_MACH_MSG_TYPE_MOVE_RECEIVE 16
#define MIGZ1_MACH_MSG_TYPE_MOVE_SEND 17
#define MIGZ1_MACH_MSG_TYPE_MOVE_SEND_ONCE 18
#define MIGZ1_MACH_MSG_TYPE_COPY_SEND 19
#define MIGZ1_MACH_MSG_TYPE_MAKE_SEND 20
#define MIGZ1_MACH_MSG_TYPE_MAKE_SEND_ONCE 21
#define MIGZ1_MACH_MSG_TYPE_PORT_RECEIVE MIGZ1_MACH_MSG_TYPE_MOVE_RECEIVE
#define MIGZ1_MACH_MSG_TYPE_PORT_SEND MIGZ1_MACH_MSG_TYPE_MOVE_SEND
#define MIGZ1_MACH_MSG_TYPE_PORT_SEND_ONCE MIGZ1_MACH_MSG_TYPE_MOVE_SEND_ONCE

#define MIGZ1_MACH_MSGH_BITS_COMPLEX 0x80000000u
#define MIGZ1_MACH_MSGH_BITS(remote, local) ((uint32_t)(remote) | ((uint32_t)(local) << 8))
#define MIGZ1_MACH_MSGH_BITS_REMOTE(bits) ((uint32_t)(bits) & 0x1fu)
#define MIGZ1_MACH_MSGH_BITS_LOCAL(bits) (((uint32_t)(bits) >> 8) & 0x1fu)

#define MIGZ1_MACH_MSG_PORT_DESCRIPTOR 0
#define MIGZ1_MACH_MSG_OOL_DESCRIPTOR 1
#define MIGZ1_MACH_MSG_OOL_PORTS_DESCRIPTOR 2
#define MIGZ1_MACH_MSG_OOL_VOLATILE_DESCRIPTOR 3
#define MIGZ1_MACH_MSG_PHYSICAL_COPY 0
#define MIGZ1_MACH_MSG_VIRTUAL_COPY 1

/* ---- Ports ------------------------------------------------------------------------ */

#define MIGZ1_MACH_PORT_RIGHT_SEND 0
#define MIGZ1_MACH_PORT_RIGHT_RECEIVE 1
#define MIGZ1_MACH_PORT_RIGHT_SEND_ONCE 2
#define MIGZ1_MACH_PORT_RIGHT_PORT_SET 3
#define MIGZ1_MACH_PORT_RIGHT_DEAD_NAME 4
#define MIGZ1_MACH_PORT_TYPE_SEND 0x00010000u
#define MIGZ1_MACH_PORT_TYPE_RECEIVE 0x00020000u
#define MIGZ1_MACH_PORT_TYPE_SEND_ONCE 0x00040000u
#define MIGZ1_MACH_PORT_TYPE_PORT_SET 0x00080000u
#define MIGZ1_MACH_PORT_TYPE_DEAD_NAME 0x00100000u
#define MIGZ1_MACH_PORT_TYPE_DNREQUEST 0x80000000u
#define MIGZ1_MACH_PORT_UREFS_MAX 0xffffu

#define MIGZ1_MACH_PORT_LIMITS_INFO 1
#define MIGZ1_MACH_PORT_RECEIVE_STATUS 2
#define MIGZ1_MACH_PORT_LIMITS_INFO_COUNT 1
#define MIGZ1_MACH_PORT_RECEIVE_STATUS_COUNT 10
#define MIGZ1_MACH_PORT_QLIMIT_DEFAULT 5
#define MIGZ1_MACH_PORT_QLIMIT_MAX 1024

#define MIGZ1_MPO_CONTEXT_AS_GUARD 0x01
#define MIGZ1_MPO_QLIMIT 0x02
#define MIGZ1_MPO_INSERT_SEND_RIGHT 0x10
#define MIGZ1_MPO_STRICT 0x20

/* ---- Notifications (notify.h) ----------------------------------------------------- */

#define MIGZ1_MACH_NOTIFY_PORT_DELETED 0101 /* 0x41: header + NDR + name */
#define MIGZ1_MACH_NOTIFY_NO_SENDERS 0106   /* 0x46: header + NDR + mscount */
#define MIGZ1_MACH_NOTIFY_SEND_ONCE 0107    /* 0x47: header only */
#define MIGZ1_MACH_NOTIFY_DEAD_NAME 0110    /* 0x48: header + NDR + name */

/* ---- Wire structs (xnu LP64, #pragma pack(4)) ------------------------------------- */

#pragma pack(push, 4)

typedef struct {
    migz1_mach_msg_bits_t msgh_bits;
    migz1_mach_msg_size_t msgh_size;
    migz1_mach_port_t msgh_remote_port;
    migz1_mach_port_t msgh_local_port;
    migz1_mach_port_t msgh_voucher_port;
    migz1_mach_msg_id_t msgh_id;
} migz1_mach_msg_header_t;

typedef struct {
    uint32_t msgh_descriptor_count;
} migz1_mach_msg_body_t;

/* The bit-fields of xnu's descriptors are spelled out as one word so the layout does not
 * depend on the compiler's bit-field order: see the MIGZ1_*_WORD macros. */
typedef struct {
    migz1_mach_port_t name;
    uint32_t pad1;
    uint32_t word; /* pad2:16, disposition:8, type:8 (low to high) */
} migz1_mach_msg_port_descriptor_t;

typedef struct {
    uint64_t address;
    uint32_t word; /* deallocate:8, copy:8, pad1:8, type:8 */
    migz1_mach_msg_size_t size;
} migz1_mach_msg_ool_descriptor_t;

typedef struct {
    uint64_t address;
    uint32_t word; /* deallocate:8, copy:8, disposition:8, type:8 */
    migz1_mach_msg_size_t count;
} migz1_mach_msg_ool_ports_descriptor_t;

#define MIGZ1_PORT_DESCRIPTOR_WORD(disposition) \
    (((uint32_t)(disposition) << 16) | ((uint32_t)MIGZ1_MACH_MSG_PORT_DESCRIPTOR << 24))
#define MIGZ1_OOL_DESCRIPTOR_WORD(deallocate, copy) \
    ((uint32_t)(deallocate) | ((uint32_t)(copy) << 8) | ((uint32_t)MIGZ1_MACH_MSG_OOL_DESCRIPTOR << 24))
#define MIGZ1_OOL_PORTS_DESCRIPTOR_WORD(deallocate, copy, disposition)                        \
    ((uint32_t)(deallocate) | ((uint32_t)(copy) << 8) | ((uint32_t)(disposition) << 16) | \
     ((uint32_t)MIGZ1_MACH_MSG_OOL_PORTS_DESCRIPTOR << 24))
#define MIGZ1_DESCRIPTOR_TYPE(word) ((uint32_t)(word) >> 24)
#define MIGZ1_DESCRIPTOR_DISPOSITION(word) (((uint32_t)(word) >> 16) & 0xffu)

typedef struct {
    uint8_t mig_vers, if_vers, reserved1, mig_encoding, int_rep, char_rep, float_rep, reserved2;
} migz1_NDR_record_t;

/* mach_msg_max_trailer_t; a receive gets the prefix its trailer elements ask for. */
typedef struct {
    uint32_t msgh_trailer_type;
    uint32_t msgh_trailer_size;
    uint32_t msgh_seqno;
    uint32_t msgh_sender[2];
    uint32_t msgh_audit[8];
    uint64_t msgh_context;
    int32_t msgh_ad;
    uint32_t msgh_labels;
} migz1_mach_msg_max_trailer_t;

#pragma pack(pop)

/* mach_port_options_t (natural alignment, as in port.h). */
typedef struct {
    uint32_t flags;
    uint32_t mpl_qlimit;
    uint64_t reserved[2];
} migz1_mach_port_options_t;

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(migz1_mach_msg_header_t) == 24, "header is 24 bytes");
_Static_assert(sizeof(migz1_mach_msg_body_t) == 4, "body is 4 bytes");
_Static_assert(sizeof(migz1_mach_msg_port_descriptor_t) == 12, "port descriptor is 12 bytes");
_Static_assert(sizeof(migz1_mach_msg_ool_descriptor_t) == 16, "OOL descriptor is 16 bytes");
_Static_assert(sizeof(migz1_mach_msg_ool_ports_descriptor_t) == 16, "OOL ports descriptor is 16 bytes");
_Static_assert(sizeof(migz1_NDR_record_t) == 8, "NDR record is 8 bytes");
_Static_assert(sizeof(migz1_mach_msg_max_trailer_t) == 68, "max trailer is 68 bytes");
_Static_assert(sizeof(migz1_mach_port_options_t) == 24, "port options are 24 bytes");
#endif

/* ---- Tasks (spaces) and right accounting ------------------------------------------ */

/* mach_task_self(): the process-wide default space. */
migz1_mach_port_t migz1_task_self(void);
/* Creates an isolated space, e.g. one per test. */
migz1_kern_return_t migz1_task_create(migz1_mach_port_t *task);
/* Destroys a space from migz1_task_create, releasing every right and region in it. */
migz1_kern_return_t migz1_task_destroy(migz1_mach_port_t task);
/* Selects the space this thread's migz1_mach_msg and migz1_mig_* calls use
 * (MIGZ1_MACH_PORT_NULL: back to migz1_task_self()). */
migz1_kern_return_t migz1_task_set_current(migz1_mach_port_t task);
/* Counts what a space still holds: names, out-of-line regions, live ports it allocated.
 * All three zero means the code under test leaked nothing. Null pointers are skipped. */
migz1_kern_return_t migz1_task_leaks(migz1_mach_port_t task, uint32_t *names, uint32_t *regions,
                                     uint32_t *ports);

/* ---- Messages --------------------------------------------------------------------- */

/* The message to send must be readable (send_size bytes). The addresses it names (its
 * out-of-line regions and port arrays) and the receive buffer are read and written through
 * checked copies, as the kernel does: unreadable out-of-line memory or a port array is
 * MIGZ1_MACH_SEND_INVALID_MEMORY (the sender keeps everything), and a receive buffer that
 * cannot be written MIGZ1_MACH_RCV_INVALID_DATA (the message is destroyed, as xnu does,
 * its rights and memory released): an error code, never a crash. */
migz1_mach_msg_return_t migz1_mach_msg(void *msg, migz1_mach_msg_option_t option,
                                       migz1_mach_msg_size_t send_size,
                                       migz1_mach_msg_size_t rcv_size, migz1_mach_port_t rcv_name,
                                       migz1_mach_msg_timeout_t timeout, migz1_mach_port_t notify);

/* mach_msg_destroy(): releases the rights and out-of-line memory a received message
 * carries (the reply right, port descriptors, OOL regions and port arrays), in the calling
 * thread's current space. */
void migz1_mach_msg_destroy(const void *msg);

/* ---- Ports (mach_port.defs) ------------------------------------------------------- */

migz1_kern_return_t migz1_mach_port_allocate(migz1_mach_port_t task, migz1_mach_port_right_t right,
                                             migz1_mach_port_t *name);
migz1_kern_return_t migz1_mach_port_allocate_name(migz1_mach_port_t task,
                                                  migz1_mach_port_right_t right,
                                                  migz1_mach_port_t name);
migz1_kern_return_t migz1_mach_port_deallocate(migz1_mach_port_t task, migz1_mach_port_t name);
migz1_kern_return_t migz1_mach_port_mod_refs(migz1_mach_port_t task, migz1_mach_port_t name,
                                             migz1_mach_port_right_t right,
                                             migz1_mach_port_delta_t delta);
migz1_kern_return_t migz1_mach_port_get_refs(migz1_mach_port_t task, migz1_mach_port_t name,
                                             migz1_mach_port_right_t right,
                                             migz1_mach_port_urefs_t *refs);
migz1_kern_return_t migz1_mach_port_type(migz1_mach_port_t task, migz1_mach_port_t name,
                                         migz1_mach_port_type_t *ptype);
/* `poly` names a right in the calling thread's current space. */
migz1_kern_return_t migz1_mach_port_insert_right(migz1_mach_port_t task, migz1_mach_port_t name,
                                                 migz1_mach_port_t poly,
                                                 migz1_mach_msg_type_name_t polyPoly);
/* The extracted right lands in the calling thread's current space. */
migz1_kern_return_t migz1_mach_port_extract_right(migz1_mach_port_t task, migz1_mach_port_t name,
                                                  migz1_mach_msg_type_name_t msgt_name,
                                                  migz1_mach_port_t *poly,
                                                  migz1_mach_msg_type_name_t *polyPoly);
migz1_kern_return_t migz1_mach_port_construct(migz1_mach_port_t task,
                                              const migz1_mach_port_options_t *options,
                                              migz1_mach_port_context_t context,
                                              migz1_mach_port_t *name);
migz1_kern_return_t migz1_mach_port_destruct(migz1_mach_port_t task, migz1_mach_port_t name,
                                             migz1_mach_port_delta_t srdelta,
                                             migz1_mach_port_context_t guard);
migz1_kern_return_t migz1_mach_port_guard(migz1_mach_port_t task, migz1_mach_port_t name,
                                          migz1_mach_port_context_t guard, uint32_t strict);
migz1_kern_return_t migz1_mach_port_unguard(migz1_mach_port_t task, migz1_mach_port_t name,
                                            migz1_mach_port_context_t guard);
migz1_kern_return_t migz1_mach_port_get_context(migz1_mach_port_t task, migz1_mach_port_t name,
                                                migz1_mach_port_context_t *context);
migz1_kern_return_t migz1_mach_port_set_context(migz1_mach_port_t task, migz1_mach_port_t name,
                                                migz1_mach_port_context_t context);
migz1_kern_return_t migz1_mach_port_set_mscount(migz1_mach_port_t task, migz1_mach_port_t name,
                                                migz1_mach_port_mscount_t mscount);
migz1_kern_return_t migz1_mach_port_set_attributes(migz1_mach_port_t task, migz1_mach_port_t name,
                                                   migz1_mach_port_flavor_t flavor,
                                                   const uint32_t *port_info,
                                                   migz1_mach_msg_type_number_t port_infoCnt);
/* *port_infoCnt: room on entry, naturals written on return. */
migz1_kern_return_t migz1_mach_port_get_attributes(migz1_mach_port_t task, migz1_mach_port_t name,
                                                   migz1_mach_port_flavor_t flavor,
                                                   uint32_t *port_info_out,
                                                   migz1_mach_msg_type_number_t *port_infoCnt);
migz1_kern_return_t migz1_mach_port_move_member(migz1_mach_port_t task, migz1_mach_port_t member,
                                                migz1_mach_port_t after);
migz1_kern_return_t migz1_mach_port_request_notification(
    migz1_mach_port_t task, migz1_mach_port_t name, migz1_mach_msg_id_t msgid,
    migz1_mach_port_mscount_t sync, migz1_mach_port_t notify,
    migz1_mach_msg_type_name_t notifyPoly, migz1_mach_port_t *previous);

/* ---- Task, host and special ports (task.defs, mach_host.defs) --------------------- */

#define MIGZ1_TASK_KERNEL_PORT 1    /* the task's own port: mach_task_self() */
#define MIGZ1_TASK_HOST_PORT 2      /* the host port: mach_host_self() */
#define MIGZ1_TASK_BOOTSTRAP_PORT 4 /* the bootstrap server (launchd) */
#define MIGZ1_KERN_NOT_SUPPORTED 46
#define MIGZ1_MIG_BAD_ID (-303)

/* mach_task_self(): the current space's send right to its own task port. Its name is the
 * space's task handle, so it works with the calls above and as the destination of
 * generated task.defs/mach_port.defs stubs, whose messages the emulation answers. */
migz1_mach_port_t migz1_mach_task_self(void);
/* mach_host_self(): a send right to the host port in the current space; as in xnu, each
 * call adds a user reference for the caller to release. */
migz1_mach_port_t migz1_mach_host_self(void);
/* The right lands in the calling thread's current space. Only MIGZ1_TASK_KERNEL_PORT,
 * _HOST_PORT and _BOOTSTRAP_PORT are known (others: KERN_INVALID_ARGUMENT); an unset
 * port is MIGZ1_MACH_PORT_NULL. */
migz1_kern_return_t migz1_task_get_special_port(migz1_mach_port_t task, int32_t which_port,
                                                migz1_mach_port_t *special_port);
/* `special_port` names a send right in the current space (copied) or is null. Only
 * MIGZ1_TASK_BOOTSTRAP_PORT can be set. */
migz1_kern_return_t migz1_task_set_special_port(migz1_mach_port_t task, int32_t which_port,
                                                migz1_mach_port_t special_port);

/* ---- Bootstrap (servers/bootstrap.h) ---------------------------------------------- */

/* launchd's codes (servers/bootstrap_defs.h). */
#define MIGZ1_BOOTSTRAP_SUCCESS 0
#define MIGZ1_BOOTSTRAP_NOT_PRIVILEGED 1100
#define MIGZ1_BOOTSTRAP_NAME_IN_USE 1101
#define MIGZ1_BOOTSTRAP_UNKNOWN_SERVICE 1102
#define MIGZ1_BOOTSTRAP_SERVICE_ACTIVE 1103
#define MIGZ1_BOOTSTRAP_BAD_COUNT 1104
#define MIGZ1_BOOTSTRAP_NO_MEMORY 1105
#define MIGZ1_BOOTSTRAP_NO_CHILDREN 1106
/* A name and its NUL fit in this many bytes (name_t); a longer one is BOOTSTRAP_BAD_COUNT. */
#define MIGZ1_BOOTSTRAP_MAX_NAME_LEN 128

/* Each call acts on the calling thread's current space; `bp` is a send right there to a
 * bootstrap namespace (from migz1_task_get_special_port(..., MIGZ1_TASK_BOOTSTRAP_PORT, ...)).
 * A `bp` that is no such right: MIGZ1_MACH_SEND_INVALID_DEST (MIGZ1_MIG_BAD_ID for the task
 * or host port). */
/* A send right to the service; MIGZ1_BOOTSTRAP_UNKNOWN_SERVICE when there is none. */
migz1_kern_return_t migz1_bootstrap_look_up(migz1_mach_port_t bp, const char *service_name,
                                            migz1_mach_port_t *sp);
/* The receive right of a service this space declared (migz1_bootstrap_create_service), or
 * of a new one under an unknown name, which this space then owns. NOT_PRIVILEGED: another
 * space owns it; SERVICE_ACTIVE: already checked in or registered. When the receive right
 * dies, the name is unknown again and the clients' send rights are dead names. */
migz1_kern_return_t migz1_bootstrap_check_in(migz1_mach_port_t bp, const char *service_name,
                                             migz1_mach_port_t *sp);
/* Registers a copy of the send right `sp` under the name (null: nothing). NOT_PRIVILEGED:
 * another space owns the name; SERVICE_ACTIVE: it is in use. */
migz1_kern_return_t migz1_bootstrap_register(migz1_mach_port_t bp, const char *service_name,
                                             migz1_mach_port_t sp);
/* Declares a service owned by this space, as a launchd plist does: a send right comes back
 * at once and messages queue until the space checks in. NAME_IN_USE: the name is taken. */
migz1_kern_return_t migz1_bootstrap_create_service(migz1_mach_port_t bp,
                                                   const char *service_name,
                                                   migz1_mach_port_t *sp);

/* ---- MIG reply ports -------------------------------------------------------------- */

migz1_mach_port_t migz1_mig_get_reply_port(void);
void migz1_mig_dealloc_reply_port(migz1_mach_port_t reply_port);
void migz1_mig_put_reply_port(migz1_mach_port_t reply_port);

/* ---- Out-of-line memory ----------------------------------------------------------- */

/* Allocates zeroed, page-aligned memory owned by `task` (flags are ignored: anywhere). */
migz1_kern_return_t migz1_vm_allocate(migz1_mach_port_t task, migz1_vm_address_t *address,
                                      migz1_vm_size_t size, int flags);
/* Frees a region `task` owns: one from migz1_vm_allocate or one received out of line. */
migz1_kern_return_t migz1_vm_deallocate(migz1_mach_port_t task, migz1_vm_address_t address,
                                        migz1_vm_size_t size);

/* ---- Streams: a bounded ring from one producer to one consumer --------------------- */

/* Status codes of the stream and channel calls (the bridge's own, not kern_return_t). */
#define MIGZ1_STREAM_OK 0
#define MIGZ1_STREAM_WOULD_BLOCK 1      /* try variants: no room yet, or nothing to read yet */
#define MIGZ1_STREAM_CLOSED 2           /* the other end closed, or every handle to it is gone */
#define MIGZ1_STREAM_INVALID_ARGUMENT 3 /* a null pointer, a bad size, a message too large */
#define MIGZ1_STREAM_ABANDONED 4        /* the producer released the ring without closing it */
#define MIGZ1_STREAM_FAILURE 5          /* a Rust entry point caught a panic */

/* migz1_ring_t.closed: the producer closed the ring with a status (0: a clean end), or
 * dropped it without closing. */
#define MIGZ1_RING_OPEN 0
#define MIGZ1_RING_CLOSED 1
#define MIGZ1_RING_ABANDONED 2

/* Called by one end to wake the other, which installed it with its context. Must not
 * block, and must not unwind. */
typedef void (*migz1_wake_fn)(void *context);

/* How one end of a ring waits. The end installs `wake` and `context` once, before its
 * first wait, and never changes them. To wait it stores 1 in `waiting` (sequentially
 * consistent), checks the ring again, and only then sleeps; the other end, after
 * publishing a change (sequentially consistent), exchanges `waiting` for 0 and calls
 * `wake(context)` only when it was 1. So a wake call happens only for a waiting end, and at
 * most once per wait. `waiting` is a 32-bit word so a thread can futex-wait on it. */
typedef struct {
    uint32_t waiting;
    uint32_t reserved;
    migz1_wake_fn wake;
    void *context;
} migz1_ring_waiter_t;

/* A single-producer single-consumer byte ring. Positions count bytes since creation and
 * never wrap (2^64 bytes); the byte at position p lives at data[p % capacity]. The
 * producer owns [head, tail + capacity), the consumer [tail, head). Each group of fields is
 * written by one side and sits on a cache line of its own. */
typedef struct migz1_ring {
    /* Fixed at creation. */
    uint8_t *data;     /* capacity bytes, 64-byte aligned */
    uint64_t capacity; /* a power of two and a multiple of item_size */
    uint32_t item_size; /* every commit and release is a multiple of it */
    uint32_t refs;     /* atomic: one per end still holding the ring */
    void (*destroy)(struct migz1_ring *ring); /* called by whoever drops refs to 0 */
    uint8_t reserved0[32];
    /* Written by the producer. */
    uint64_t head;   /* atomic: bytes committed */
    uint32_t closed; /* atomic: MIGZ1_RING_OPEN, _CLOSED or _ABANDONED, after the last commit */
    int32_t status;  /* set before closed: 0 for a clean end, else the producer's error code */
    migz1_ring_waiter_t producer; /* the producer waiting for room */
    uint8_t reserved1[24];
    /* Written by the consumer. */
    uint64_t tail;            /* atomic: bytes released back to the producer */
    uint32_t consumer_closed; /* atomic: 1 once the consumer went away */
    uint32_t reserved2;
    migz1_ring_waiter_t consumer; /* the consumer waiting for data */
    uint8_t reserved3[24];
} migz1_ring_t;

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(migz1_ring_waiter_t) == 24, "ring waiter is 24 bytes");
_Static_assert(sizeof(migz1_ring_t) == 192, "ring is three 64-byte lines");
_Static_assert(offsetof(migz1_ring_t, head) == 64, "producer line");
_Static_assert(offsetof(migz1_ring_t, tail) == 128, "consumer line");
#endif

/* Makes a ring of `capacity` bytes (a power of two, at least 64 and at most 2^32, and a
 * multiple of item_size, 1..=4096) holding two references, one per end; each end drops
 * its own when done by decrementing `refs` and calling `destroy` at zero. Both waiters
 * start without a wake function: each end installs its own. */
int32_t migz1_ring_create(uint64_t capacity, uint32_t item_size, migz1_ring_t **ring);

/* ---- Channels: many producers, many consumers, byte messages ---------------------- */

typedef struct migz1_channel_sender migz1_channel_sender_t;
typedef struct migz1_channel_receiver migz1_channel_receiver_t;

/* Makes a channel of messages of 0..=message_size_max bytes holding at most `capacity`
 * of them (0: unbounded), with one sender and one receiver handle. */
int32_t migz1_channel_create(size_t capacity, size_t message_size_max,
                             migz1_channel_sender_t **sender,
                             migz1_channel_receiver_t **receiver);
/* Another handle to the same channel (null on a null handle). */
migz1_channel_sender_t *migz1_channel_sender_clone(const migz1_channel_sender_t *sender);
migz1_channel_receiver_t *migz1_channel_receiver_clone(const migz1_channel_receiver_t *receiver);
/* Drops a handle. When the last sender goes, receivers drain what is queued and then get
 * MIGZ1_STREAM_CLOSED; when the last receiver goes, sends get MIGZ1_STREAM_CLOSED. */
void migz1_channel_sender_release(migz1_channel_sender_t *sender);
void migz1_channel_receiver_release(migz1_channel_receiver_t *receiver);
/* Closes the channel for every handle: sends fail from now on, receives drain what is
 * queued and then get MIGZ1_STREAM_CLOSED. The handles stay valid until released. */
void migz1_channel_close(const migz1_channel_sender_t *sender);
void migz1_channel_close_receiver(const migz1_channel_receiver_t *receiver);
/* Copies `len` bytes into the channel; blocks while a bounded channel is full. */
int32_t migz1_channel_send(const migz1_channel_sender_t *sender, const void *data, size_t len);
/* The same, or MIGZ1_STREAM_WOULD_BLOCK at once when the channel is full. */
int32_t migz1_channel_try_send(const migz1_channel_sender_t *sender, const void *data, size_t len);
/* Moves the oldest message into `buffer` (which must hold message_size_max bytes) and its
 * length into `*len`; blocks while the channel is empty and open. */
int32_t migz1_channel_recv(const migz1_channel_receiver_t *receiver, void *buffer,
                           size_t buffer_size, size_t *len);
/* The same, or MIGZ1_STREAM_WOULD_BLOCK at once when the channel is empty. */
int32_t migz1_channel_try_recv(const migz1_channel_receiver_t *receiver, void *buffer,
                               size_t buffer_size, size_t *len);

/* ---- Entries ------------------------------------------------------------------------ */

/* The one shape of a call between Rust and Zig code in one process that is not a message:
 * a server that takes a receive right, a client that borrows a send right, a producer
 * given a ring. `task` names the space (migz1_task_self(), a task of migz1_task_create(),
 * or a Rust `Space`'s handle), `port` the right, `arg` is the callee's to define; the
 * result is a kern_return_t or mach_msg_return_t. An entry checks what it is given and
 * answers with a code; it never unwinds. Zig exports them with `migz.bridge.exportServer`
 * and `exportEntry` and declares Rust's with `migz.bridge.rustEntry`; Rust exports them
 * with `migz::export_entry!` and declares Zig's with `migz::zig_entry!`. */
typedef int32_t (*migz1_entry_fn)(migz1_mach_port_t task, migz1_mach_port_t port, uint64_t arg);

#ifdef __cplusplus
}
#endif

#endif /* MIGZ1_H */
