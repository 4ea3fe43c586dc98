/*
 * Hostile messages through bridge/migz.h: out-of-line memory and port arrays at unmapped,
 * half-mapped and oversized ranges, unknown descriptor types and dispositions, descriptor
 * counts past the message, rights the sender lacks, unwritable receive buffers, and
 * unreadable messages to destroy. Each gets the exact error xnu gives, and the space holds exactly what
 * it held before. Returns 0 on success, otherwise the line of the first failed check.
 */
#define _DEFAULT_SOURCE
#define _DARWIN_C_SOURCE
#include "migz.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(cond)          \
    do {                     \
        if (!(cond)) {       \
            return __LINE__; \
        }                    \
    } while (0)

static migz1_mach_port_t task, port, other;

/* What the space holds: its counts and the rights the test's ports carry. */
typedef struct {
    uint32_t names, regions, ports, port_send, other_send, other_receive;
} state_t;

static int snapshot(state_t *s) {
    memset(s, 0, sizeof *s);
    return migz1_task_leaks(task, &s->names, &s->regions, &s->ports) == MIGZ1_KERN_SUCCESS &&
           migz1_mach_port_get_refs(task, port, MIGZ1_MACH_PORT_RIGHT_SEND, &s->port_send) ==
               MIGZ1_KERN_SUCCESS &&
           migz1_mach_port_get_refs(task, other, MIGZ1_MACH_PORT_RIGHT_SEND, &s->other_send) ==
               MIGZ1_KERN_SUCCESS &&
           migz1_mach_port_get_refs(task, other, MIGZ1_MACH_PORT_RIGHT_RECEIVE,
                                    &s->other_receive) == MIGZ1_KERN_SUCCESS;
}

static int same(const state_t *a, const state_t *b) { return memcmp(a, b, sizeof *a) == 0; }

/* Whether nothing is queued on `port`. */
static int nothing_queued(void) {
    uint64_t buf[64];
    return migz1_mach_msg(buf, MIGZ1_MACH_RCV_MSG | MIGZ1_MACH_RCV_TIMEOUT, 0, sizeof buf, port,
                          0, 0) == MIGZ1_MACH_RCV_TIMED_OUT;
}

/* A complex message to `port`, built descriptor by descriptor. */
typedef struct {
    union {
        uint8_t bytes[512];
        uint64_t align;
    } u;
    uint32_t size, count;
} msg_t;

static void begin(msg_t *m) {
    memset(m, 0, sizeof *m);
    migz1_mach_msg_header_t h = {0};
    h.msgh_bits = MIGZ1_MACH_MSGH_BITS(MIGZ1_MACH_MSG_TYPE_COPY_SEND, 0) |
                  MIGZ1_MACH_MSGH_BITS_COMPLEX;
    h.msgh_remote_port = port;
    h.msgh_id = 1;
    memcpy(m->u.bytes, &h, sizeof h);
    m->size = sizeof h + sizeof(migz1_mach_msg_body_t);
}

static void add(msg_t *m, const void *desc, uint32_t size) {
    memcpy(m->u.bytes + m->size, desc, size);
    m->size += size;
    m->count += 1;
}

static void add_port(msg_t *m, migz1_mach_port_t name, uint32_t disposition) {
    migz1_mach_msg_port_descriptor_t d = {0};
    d.name = name;
    d.word = MIGZ1_PORT_DESCRIPTOR_WORD(disposition);
    add(m, &d, sizeof d);
}

/* An out-of-line descriptor whose whole second word is given. */
static void add_ool_word(msg_t *m, const volatile void *addr, uint32_t size, uint32_t word) {
    migz1_mach_msg_ool_descriptor_t d = {0};
    d.address = (uint64_t)(uintptr_t)addr;
    d.word = word;
    d.size = size;
    add(m, &d, sizeof d);
}

static void add_ool(msg_t *m, const volatile void *addr, uint32_t size, int deallocate) {
    add_ool_word(m, addr, size, MIGZ1_OOL_DESCRIPTOR_WORD(deallocate, MIGZ1_MACH_MSG_VIRTUAL_COPY));
}

static void add_ool_ports(msg_t *m, const volatile void *addr, uint32_t count,
                          uint32_t disposition) {
    migz1_mach_msg_ool_ports_descriptor_t d = {0};
    d.address = (uint64_t)(uintptr_t)addr;
    d.word = MIGZ1_OOL_PORTS_DESCRIPTOR_WORD(0, MIGZ1_MACH_MSG_VIRTUAL_COPY, disposition);
    d.count = count;
    add(m, &d, sizeof d);
}

/* Sends `m` with `count` as its descriptor count. */
static migz1_mach_msg_return_t send_counted(msg_t *m, uint32_t count) {
    migz1_mach_msg_body_t body = {count};
    memcpy(m->u.bytes + sizeof(migz1_mach_msg_header_t), &body, sizeof body);
    memcpy(m->u.bytes + 4, &m->size, 4);
    return migz1_mach_msg(m->u.bytes, MIGZ1_MACH_SEND_MSG, m->size, 0, 0, 0, 0);
}

static migz1_mach_msg_return_t send(msg_t *m) { return send_counted(m, m->count); }

/* Sends `m`, which must fail with `code` and leave the space as it was. */
#define HOSTILE(m, code)                     \
    do {                                     \
        state_t before_, after_;             \
        CHECK(snapshot(&before_));           \
        CHECK(send(m) == (code));            \
        CHECK(snapshot(&after_));            \
        CHECK(same(&before_, &after_));      \
        CHECK(nothing_queued());             \
    } while (0)

/* Sends a good message carrying a right and a region, then receives it into `buf`, which
 * cannot be written: MACH_RCV_INVALID_DATA, and what the message carried is released. */
static int lost_in(void *buf, uint8_t *data) {
    state_t before, after;
    CHECK(snapshot(&before));
    msg_t m;
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_COPY_SEND);
    add_ool(&m, data, 100, 0);
    CHECK(send(&m) == MIGZ1_MACH_MSG_SUCCESS);
    CHECK(migz1_mach_msg(buf, MIGZ1_MACH_RCV_MSG, 0, 4096, port, 0, 0) ==
          MIGZ1_MACH_RCV_INVALID_DATA);
    CHECK(snapshot(&after));
    CHECK(same(&before, &after));
    CHECK(nothing_queued());
    return 0;
}

int migz_hostile(void) {
    CHECK(migz1_task_create(&task) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_task_set_current(task) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_mach_port_allocate(task, MIGZ1_MACH_PORT_RIGHT_RECEIVE, &port) == 0);
    CHECK(migz1_mach_port_insert_right(task, port, port, MIGZ1_MACH_MSG_TYPE_MAKE_SEND) == 0);
    CHECK(migz1_mach_port_allocate(task, MIGZ1_MACH_PORT_RIGHT_RECEIVE, &other) == 0);
    CHECK(migz1_mach_port_insert_right(task, other, other, MIGZ1_MACH_MSG_TYPE_MAKE_SEND) == 0);

    /* Two pages: the first readable and writable, the second inaccessible. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
    CHECK(pages != MAP_FAILED);
    memset(pages, 0x5a, page);
    CHECK(mprotect(pages + page, page, PROT_NONE) == 0);
    uint8_t *read_only = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(read_only != MAP_FAILED);
    const volatile void *unmapped = (const volatile void *)(uintptr_t)0x10;
    msg_t m;

    /* Out-of-line memory at an unmapped address, copied or moved. */
    for (int deallocate = 0; deallocate < 2; deallocate++) {
        begin(&m);
        add_ool(&m, unmapped, 4096, deallocate);
        HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_MEMORY);
    }
    /* Half mapped: the range runs into the inaccessible page. */
    begin(&m);
    add_ool(&m, pages, (uint32_t)(2 * page), 1);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_MEMORY);
    /* Larger than any region (the emulation's limit is 1 GiB). */
    begin(&m);
    add_ool(&m, pages, 0xffffffffu, 0);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_MEMORY);
    /* A right moved by an earlier descriptor comes back when a later region is bad. */
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_MOVE_SEND);
    add_ool(&m, pages, 16, 0);
    add_ool(&m, unmapped, 4096, 1);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_MEMORY);

    /* Port arrays: unmapped, and one whose second name lies in the inaccessible page. */
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_COPY_SEND);
    add_ool_ports(&m, unmapped, 4, MIGZ1_MACH_MSG_TYPE_COPY_SEND);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_MEMORY);
    memcpy(pages + page - 4, &other, 4);
    begin(&m);
    add_ool_ports(&m, pages + page - 4, 2, MIGZ1_MACH_MSG_TYPE_MOVE_SEND);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_MEMORY);

    /* Unknown descriptor types, dispositions and copy options. */
    begin(&m);
    add_ool_word(&m, pages, 16, 7u << 24);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_TYPE);
    begin(&m);
    add_port(&m, other, 42);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_TYPE);
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_COPY_SEND);
    add_ool_ports(&m, pages + page - 4, 1, 7);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_TYPE);
    begin(&m);
    add_ool_word(&m, pages, 16, MIGZ1_OOL_DESCRIPTOR_WORD(0, 9));
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_TYPE);

    /* Descriptor counts past the message. */
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_MOVE_SEND);
    CHECK(send_counted(&m, 3) == MIGZ1_MACH_SEND_MSG_TOO_SMALL);
    CHECK(send_counted(&m, 0xffffffffu) == MIGZ1_MACH_SEND_MSG_TOO_SMALL);
    CHECK(nothing_queued());

    /* Rights the sender lacks, in descriptors and in port arrays; what came before them is
     * given back. */
    begin(&m);
    add_port(&m, 0x5555, MIGZ1_MACH_MSG_TYPE_COPY_SEND);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_RIGHT);
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_MOVE_SEND);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_MOVE_SEND_ONCE);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_RIGHT);
    migz1_mach_port_t names[2] = {other, 0x5555};
    begin(&m);
    add_port(&m, other, MIGZ1_MACH_MSG_TYPE_MOVE_RECEIVE);
    add_ool_ports(&m, names, 2, MIGZ1_MACH_MSG_TYPE_COPY_SEND);
    HOSTILE(&m, MIGZ1_MACH_SEND_INVALID_RIGHT);

    /* Destroying a message that cannot be read touches nothing. */
    state_t before, after;
    CHECK(snapshot(&before));
    migz1_mach_msg_destroy((const void *)(uintptr_t)0x10);
    migz1_mach_msg_destroy(pages + page);
    migz1_mach_msg_destroy(pages + page - 8);
    CHECK(snapshot(&after));
    CHECK(same(&before, &after));

    /* Receive buffers that cannot be written: read-only, inaccessible, unmapped. */
    void *unwritable[3] = {read_only, pages + page, (void *)(uintptr_t)0x10};
    for (int i = 0; i < 3; i++) {
        int line = lost_in(unwritable[i], pages);
        if (line != 0) {
            return line;
        }
    }

    /* A good message still goes through, and its region arrives intact. */
    begin(&m);
    add_ool(&m, pages, 100, 0);
    CHECK(send(&m) == MIGZ1_MACH_MSG_SUCCESS);
    uint64_t rcv[128];
    CHECK(migz1_mach_msg(rcv, MIGZ1_MACH_RCV_MSG, 0, sizeof rcv, port, 0, 0) ==
          MIGZ1_MACH_MSG_SUCCESS);
    migz1_mach_msg_ool_descriptor_t got;
    memcpy(&got, (uint8_t *)rcv + 28, sizeof got);
    CHECK(got.size == 100 && got.address != 0);
    CHECK(memcmp((const void *)(uintptr_t)got.address, pages, 100) == 0);
    migz1_mach_msg_destroy(rcv);

    CHECK(munmap(pages, 2 * page) == 0);
    CHECK(munmap(read_only, page) == 0);
    CHECK(migz1_mach_port_mod_refs(task, port, MIGZ1_MACH_PORT_RIGHT_RECEIVE, -1) == 0);
    CHECK(migz1_mach_port_mod_refs(task, other, MIGZ1_MACH_PORT_RIGHT_RECEIVE, -1) == 0);
    CHECK(migz1_mach_port_deallocate(task, port) == 0);
    CHECK(migz1_mach_port_deallocate(task, other) == 0);
    uint32_t leaked_names = 1, leaked_regions = 1, leaked_ports = 1;
    CHECK(migz1_task_leaks(task, &leaked_names, &leaked_regions, &leaked_ports) == 0);
    CHECK(leaked_names == 0 && leaked_regions == 0 && leaked_ports == 0);
    CHECK(migz1_task_set_current(0) == MIGZ1_KERN_SUCCESS);
    CHECK(migz1_task_destroy(task) == MIGZ1_KERN_SUCCESS);
    return 0;
}
