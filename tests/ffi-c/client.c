/*
 * The C half of the cross-language test: a client written against bridge/migz.h that
 * talks to a Rust server thread through libmigz_ffi. Returns 0 on success, otherwise the
 * line of the first failed check.
 */
#include "migz.h"

#include <string.h>

#define CHECK(cond)          \
    do {                     \
        if (!(cond)) {       \
            return __LINE__; \
        }                    \
    } while (0)

#pragma pack(push, 4)
typedef struct {
    migz1_mach_msg_header_t head;
    migz1_NDR_record_t ndr;
    int32_t value;
} simple_msg_t;

typedef struct {
    migz1_mach_msg_header_t head;
    migz1_mach_msg_body_t body;
    migz1_mach_msg_ool_descriptor_t data;
    migz1_mach_msg_port_descriptor_t port;
    migz1_NDR_record_t ndr;
    uint32_t dataCnt;
} complex_msg_t;

typedef struct {
    migz1_mach_msg_header_t head;
    migz1_mach_msg_body_t body;
    migz1_mach_msg_ool_descriptor_t data;
    migz1_mach_msg_max_trailer_t trailer;
} ool_reply_t;

typedef struct {
    simple_msg_t msg;
    migz1_mach_msg_max_trailer_t trailer;
} simple_rcv_t;
#pragma pack(pop)

_Static_assert(sizeof(simple_msg_t) == 36, "simple request layout");
_Static_assert(sizeof(complex_msg_t) == 68, "complex request layout");

static const migz1_NDR_record_t ndr = {0, 0, 0, 0, 1, 0, 0, 0};

int migz_c_client(migz1_mach_port_t task, migz1_mach_port_t server) {
    CHECK(migz1_task_set_current(task) == MIGZ1_KERN_SUCCESS);

    /* Bad input gets an error code, not a crash. */
    CHECK(migz1_mach_msg(0, MIGZ1_MACH_SEND_MSG, 24, 0, 0, 0, 0) == MIGZ1_MACH_SEND_INVALID_DATA);
    simple_msg_t bad;
    memset(&bad, 0, sizeof bad);
    bad.head.msgh_bits = MIGZ1_MACH_MSGH_BITS(MIGZ1_MACH_MSG_TYPE_COPY_SEND, 0);
    bad.head.msgh_size = sizeof bad;
    bad.head.msgh_remote_port = 0x7777;
    CHECK(migz1_mach_msg(&bad, MIGZ1_MACH_SEND_MSG, sizeof bad, 0, 0, 0, 0) == MIGZ1_MACH_SEND_INVALID_DEST);
    migz1_mach_port_type_t ty = 0;
    CHECK(migz1_mach_port_type(task, 0x7777, &ty) == MIGZ1_KERN_INVALID_NAME);
    CHECK(migz1_mach_port_type(0x12345, server, &ty) == MIGZ1_KERN_INVALID_TASK);
    CHECK(migz1_mach_port_type(task, server, &ty) == MIGZ1_KERN_SUCCESS);
    CHECK(ty == MIGZ1_MACH_PORT_TYPE_SEND);

    /* A simple request and reply, the way a MIG client stub does it. */
    migz1_mach_port_t reply = migz1_mig_get_reply_port();
    CHECK(reply != MIGZ1_MACH_PORT_NULL);
    simple_rcv_t buf;
    memset(&buf, 0, sizeof buf);
    buf.msg.head.msgh_bits =
        MIGZ1_MACH_MSGH_BITS(MIGZ1_MACH_MSG_TYPE_COPY_SEND, MIGZ1_MACH_MSG_TYPE_MAKE_SEND_ONCE);
    buf.msg.head.msgh_size = sizeof buf.msg;
    buf.msg.head.msgh_remote_port = server;
    buf.msg.head.msgh_local_port = reply;
    buf.msg.head.msgh_id = 100;
    buf.msg.ndr = ndr;
    buf.msg.value = 41;
    migz1_mach_msg_return_t r = migz1_mach_msg(&buf, MIGZ1_MACH_SEND_MSG | MIGZ1_MACH_RCV_MSG,
                                               sizeof buf.msg, sizeof buf, reply, 0, 0);
    CHECK(r == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(buf.msg.head.msgh_id == 200);
    CHECK(buf.msg.head.msgh_bits == MIGZ1_MACH_MSGH_BITS(0, MIGZ1_MACH_MSG_TYPE_PORT_SEND_ONCE));
    CHECK(buf.msg.head.msgh_local_port == reply);
    CHECK(buf.msg.value == 42);
    CHECK(buf.trailer.msgh_trailer_size == 8);

    /* A complex request: out-of-line bytes from the C stack (copied) and a send right made
     * from a C receive right. The server answers on that port with memory it hands over. */
    migz1_mach_port_t cport = 0;
    CHECK(migz1_mach_port_allocate(task, MIGZ1_MACH_PORT_RIGHT_RECEIVE, &cport) == MIGZ1_KERN_SUCCESS);
    char text[] = "hello from C";
    complex_msg_t req;
    memset(&req, 0, sizeof req);
    req.head.msgh_bits = MIGZ1_MACH_MSGH_BITS_COMPLEX |
                         MIGZ1_MACH_MSGH_BITS(MIGZ1_MACH_MSG_TYPE_COPY_SEND, MIGZ1_MACH_MSG_TYPE_MAKE_SEND_ONCE);
    req.head.msgh_size = sizeof req;
    req.head.msgh_remote_port = server;
    req.head.msgh_local_port = reply;
    req.head.msgh_id = 101;
    req.body.msgh_descriptor_count = 2;
    req.data.address = (uint64_t)(uintptr_t)text;
    req.data.size = sizeof text;
    req.data.word = MIGZ1_OOL_DESCRIPTOR_WORD(0, MIGZ1_MACH_MSG_PHYSICAL_COPY);
    req.port.name = cport;
    req.port.word = MIGZ1_PORT_DESCRIPTOR_WORD(MIGZ1_MACH_MSG_TYPE_MAKE_SEND);
    req.ndr = ndr;
    req.dataCnt = sizeof text;
    r = migz1_mach_msg(&req, MIGZ1_MACH_SEND_MSG, sizeof req, 0, 0, 0, 0);
    CHECK(r == MIGZ1_MACH_MSG_SUCCESS);

    ool_reply_t got;
    memset(&got, 0, sizeof got);
    int32_t opts = MIGZ1_MACH_RCV_MSG | MIGZ1_MACH_RCV_TRAILER_TYPE(MIGZ1_MACH_MSG_TRAILER_FORMAT_0) |
                   MIGZ1_MACH_RCV_TRAILER_ELEMENTS(MIGZ1_MACH_RCV_TRAILER_AUDIT);
    r = migz1_mach_msg(&got, opts, 0, sizeof got, cport, 0, 0);
    CHECK(r == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(got.head.msgh_id == 300);
    CHECK(got.head.msgh_bits & MIGZ1_MACH_MSGH_BITS_COMPLEX);
    CHECK(MIGZ1_MACH_MSGH_BITS_LOCAL(got.head.msgh_bits) == MIGZ1_MACH_MSG_TYPE_PORT_SEND);
    CHECK(got.body.msgh_descriptor_count == 1);
    CHECK(MIGZ1_DESCRIPTOR_TYPE(got.data.word) == MIGZ1_MACH_MSG_OOL_DESCRIPTOR);
    CHECK(got.data.size == 4096);
    CHECK(got.trailer.msgh_trailer_size == 52);
    const unsigned char *mem = (const unsigned char *)(uintptr_t)got.data.address;
    for (int i = 0; i < 4096; i++) {
        CHECK(mem[i] == 'R');
    }
    CHECK(migz1_vm_deallocate(task, (migz1_vm_address_t)got.data.address, 4096) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_vm_deallocate(task, (migz1_vm_address_t)got.data.address, 4096) == MIGZ1_KERN_INVALID_ADDRESS);

    /* The status reply to the complex request. */
    memset(&buf, 0, sizeof buf);
    r = migz1_mach_msg(&buf, MIGZ1_MACH_RCV_MSG, 0, sizeof buf, reply, 0, 0);
    CHECK(r == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(buf.msg.head.msgh_id == 201);
    CHECK(buf.msg.value == (int32_t)sizeof text);

    /* Queue limits through the C ABI. */
    uint32_t info[1] = {0};
    migz1_mach_msg_type_number_t cnt = 1;
    CHECK(migz1_mach_port_get_attributes(task, cport, MIGZ1_MACH_PORT_LIMITS_INFO, info, &cnt) == 0);
    CHECK(cnt == 1 && info[0] == MIGZ1_MACH_PORT_QLIMIT_DEFAULT);

    /* Tell the server to stop, then release everything this side made. */
    simple_msg_t stop;
    memset(&stop, 0, sizeof stop);
    stop.head.msgh_bits = MIGZ1_MACH_MSGH_BITS(MIGZ1_MACH_MSG_TYPE_COPY_SEND, 0);
    stop.head.msgh_size = sizeof stop;
    stop.head.msgh_remote_port = server;
    stop.head.msgh_id = 999;
    CHECK(migz1_mach_msg(&stop, MIGZ1_MACH_SEND_MSG, sizeof stop, 0, 0, 0, 0) == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(migz1_mach_port_mod_refs(task, cport, MIGZ1_MACH_PORT_RIGHT_RECEIVE, -1) == MIGZ1_KERN_SUCCESS);
    migz1_mig_dealloc_reply_port(reply);
    CHECK(migz1_task_set_current(MIGZ1_MACH_PORT_NULL) == MIGZ1_KERN_SUCCESS);
    return 0;
}
