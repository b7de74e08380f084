//  zs_journal_format - see zs_journal_format.h

#include "coordinator/store/zs_journal_format.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZS_JOURNAL_READ_CHUNK (64u << 10)  //  bytes asked of each read while scanning
#define ZS_JOURNAL_RANGES_MIN 4            //  first allocation of the range list

static const uint8_t s_magic[4] = {'Z', 'S', 'J', 'L'};

//  CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, one entry per byte value
static const uint32_t s_crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

uint32_t
zs_journal_crc32c(uint32_t crc, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    crc = ~crc;
    for (size_t i = 0; i < size; i++) {
        crc = s_crc32c_table[(crc ^ bytes[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

static void
s_put_u32(uint8_t *dest, uint32_t value)
{
    dest[0] = (uint8_t) value;
    dest[1] = (uint8_t) (value >> 8);
    dest[2] = (uint8_t) (value >> 16);
    dest[3] = (uint8_t) (value >> 24);
}

static uint32_t
s_get_u32(const uint8_t *src)
{
    return (uint32_t) src[0] | (uint32_t) src[1] << 8 | (uint32_t) src[2] << 16 |
           (uint32_t) src[3] << 24;
}

void
zs_journal_header_encode(uint8_t *dest, uint32_t tag)
{
    memcpy(dest, s_magic, sizeof s_magic);
    s_put_u32(dest + 4, ZS_JOURNAL_VERSION);
    s_put_u32(dest + 8, tag);
    s_put_u32(dest + 12, zs_journal_crc32c(0, dest, 12));
}

void
zs_journal_frame_encode(uint8_t *dest, uint32_t tag, const void *body, uint32_t size)
{
    s_put_u32(dest, tag);
    s_put_u32(dest + 4, size);
    s_put_u32(dest + 8, zs_journal_crc32c(zs_journal_crc32c(0, dest, 8), body, size));
}

//  ---------------------------------------------------------------------------------------
//  Reading

//  Bytes [offset, offset + need) of the file, which the caller checked lie within it.
//  Offsets only grow during a scan, so what lies before `offset` is dropped. Returns
//  NULL with errno when a read fails or the file turns out shorter than it was.
static const uint8_t *
s_window(zs_journal_scan_t *self, uint64_t offset, size_t need)
{
    if (offset >= self->base && offset + need <= self->base + self->used) {
        return self->data + (offset - self->base);
    }
    size_t keep = 0;
    if (offset >= self->base && offset < self->base + self->used) {
        keep = (size_t) (self->base + self->used - offset);
        memmove(self->data, self->data + (offset - self->base), keep);
    }
    self->base = offset;
    self->used = keep;
    uint64_t left = self->file_size - offset;
    size_t want = need > ZS_JOURNAL_READ_CHUNK ? need : ZS_JOURNAL_READ_CHUNK;
    want = left < want ? (size_t) left : want;
    if (self->alloc < want) {
        self->data = zs_realloc(self->data, want);
        self->alloc = want;
    }
    while (self->used < want) {
        ssize_t got = pread(self->fd, self->data + self->used, want - self->used,
                            (off_t) (offset + self->used));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            //  Cut short under us although the journal is locked: fail, never guess
            errno = got == 0 ? EIO : errno;
            return NULL;
        }
        self->used += (size_t) got;
    }
    return self->data;
}

static size_t
s_frame(const zs_journal_scan_t *self)
{
    return self->version == 0 ? ZS_JOURNAL_FRAME_V0 : ZS_JOURNAL_FRAME;
}

//  Whether a whole valid record starts at offset: 1 with its size, 0, or -1 with
//  errno. Format 1 records carry the file's tag; while the tag is unknown (0, as the
//  header was damaged) any tag but 0 will do, and a record found gives it.
static int
s_record_at(zs_journal_scan_t *self, uint64_t offset, uint32_t *size_p)
{
    size_t frame = s_frame(self);
    if (self->file_size - offset <= frame) {
        return 0;
    }
    const uint8_t *head = s_window(self, offset, frame);
    if (!head) {
        return -1;
    }
    uint32_t tag = self->version == 0 ? 0 : s_get_u32(head);
    if (self->version != 0 && (self->tag ? tag != self->tag : tag == 0)) {
        return 0;
    }
    uint32_t size = s_get_u32(head + frame - 8);
    uint32_t crc = s_get_u32(head + frame - 4);
    //  Checked before reading on, so a wild size never turns into an allocation, and a
    //  zero size is refused because a zero-filled tail would otherwise replay as records
    if (size == 0 || size > ZS_JOURNAL_RECORD_MAX ||
        size > self->file_size - offset - frame) {
        return 0;
    }
    head = s_window(self, offset, frame + size);
    if (!head) {
        return -1;
    }
    uint32_t covered = self->version == 0 ? 0 : zs_journal_crc32c(0, head, 8);
    if (zs_journal_crc32c(covered, head + frame, size) != crc) {
        return 0;
    }
    self->tag = tag;
    *size_p = size;
    return 1;
}

//  The first offset from `from` on where a valid record starts, or the file size when
//  none does. Returns 0, or -1 with errno.
static int
s_search(zs_journal_scan_t *self, uint64_t from, uint64_t *found_p)
{
    uint32_t size;
    for (uint64_t at = from; at < self->file_size; at++) {
        int rc = s_record_at(self, at, &size);
        if (rc != 0) {
            *found_p = at;
            return rc > 0 ? 0 : -1;
        }
    }
    *found_p = self->file_size;
    return 0;
}

static void
s_add_range(zs_journal_scan_t *self, uint64_t offset, uint64_t length)
{
    if (self->range_count == self->range_alloc) {
        self->range_alloc =
            self->range_alloc ? 2 * self->range_alloc : ZS_JOURNAL_RANGES_MIN;
        self->ranges = zs_realloc(self->ranges, self->range_alloc * sizeof *self->ranges);
    }
    self->ranges[self->range_count++] = (zs_journal_range_t){offset, length};
}

//  A valid header gives the format and tag
static int
s_read_header(zs_journal_scan_t *self, const uint8_t *head, zs_error_t *err)
{
    unsigned version = s_get_u32(head + 4);
    if (version != ZS_JOURNAL_VERSION) {
        return zs_error_set(err, 0,
                            "written in journal format %u, newer than the format %u "
                            "this program reads",
                            version, ZS_JOURNAL_VERSION);
    }
    self->has_header = true;
    self->tag = s_get_u32(head + 8);
    self->next = self->end = ZS_JOURNAL_FILE_HEADER;
    return 0;
}

//  Without a valid header, the first valid record tells the format: a format-0 record
//  at offset 0, else the first format-1 record (its tag is then the file's), else the
//  first format-0 record. What precedes it is damage.
static int
s_find_format(zs_journal_scan_t *self, bool torn, zs_error_t *err)
{
    uint32_t size;
    uint64_t found = self->file_size;
    self->version = 0;
    int rc = s_record_at(self, 0, &size);
    if (rc == 0) {
        self->version = ZS_JOURNAL_VERSION;
        self->tag = 0;
        rc = s_search(self, ZS_JOURNAL_FILE_HEADER, &found);
    }
    if (rc == 0 && found == self->file_size) {
        self->version = 0;
        rc = s_search(self, 1, &found);
    }
    if (rc < 0) {
        return zs_error_set(err, 0, "%s", strerror(errno));
    }
    if (rc > 0) {
        return 0;  //  a format-0 journal, from its start
    }
    if (found == self->file_size && !torn) {
        return zs_error_set(err, 0, "not a zswarm journal: no header, no valid record");
    }
    if (found == self->file_size) {
        self->version = ZS_JOURNAL_VERSION;  //  a new file that a crash left unwritten
    }
    s_add_range(self, 0, found);
    self->next = found;
    return 0;
}

int
zs_journal_scan_init(zs_journal_scan_t *self, int fd, zs_error_t *err)
{
    assert(self);
    memset(self, 0, sizeof *self);
    self->fd = fd;
    self->version = ZS_JOURNAL_VERSION;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return zs_error_set(err, 0, "%s", strerror(errno));
    }
    self->file_size = (uint64_t) st.st_size;
    if (self->file_size == 0) {
        return 0;
    }
    size_t size = self->file_size < ZS_JOURNAL_FILE_HEADER ? (size_t) self->file_size
                                                           : ZS_JOURNAL_FILE_HEADER;
    const uint8_t *head = s_window(self, 0, size);
    if (!head) {
        return zs_error_set(err, 0, "%s", strerror(errno));
    }
    bool magic = size >= sizeof s_magic && memcmp(head, s_magic, sizeof s_magic) == 0;
    //  A tag of 0 is never written: such a header is as damaged as a bad CRC makes it
    if (magic && size == ZS_JOURNAL_FILE_HEADER &&
        zs_journal_crc32c(0, head, 12) == s_get_u32(head + 12) && s_get_u32(head + 8)) {
        return s_read_header(self, head, err);
    }
    //  A crash can leave a new file short, zero-filled, or with half a header: that
    //  is a torn tail, where anything else without a record is not a journal
    static const uint8_t zeros[ZS_JOURNAL_FILE_HEADER];
    bool torn = size < ZS_JOURNAL_FILE_HEADER || magic || memcmp(head, zeros, size) == 0;
    return s_find_format(self, torn, err);
}

int
zs_journal_scan_next(zs_journal_scan_t *self, const uint8_t **body_p, uint32_t *size_p)
{
    assert(self);
    while (self->next < self->file_size) {
        uint32_t size;
        int rc = s_record_at(self, self->next, &size);
        if (rc < 0) {
            return -1;
        }
        if (rc > 0) {
            size_t frame = s_frame(self);
            *body_p = self->data + (self->next - self->base) + frame;
            *size_p = size;
            self->next += frame + size;
            self->end = self->next;
            return 1;
        }
        uint64_t found;
        if (s_search(self, self->next + 1, &found) != 0) {
            return -1;
        }
        s_add_range(self, self->next, found - self->next);
        self->next = found;
    }
    return 0;
}

const zs_journal_range_t *
zs_journal_scan_tail(const zs_journal_scan_t *self)
{
    assert(self);
    const zs_journal_range_t *last =
        self->range_count ? &self->ranges[self->range_count - 1] : NULL;
    return last && last->offset + last->length == self->file_size ? last : NULL;
}

size_t
zs_journal_scan_inner(const zs_journal_scan_t *self)
{
    assert(self);
    return self->range_count - (zs_journal_scan_tail(self) ? 1 : 0);
}

void
zs_journal_scan_fini(zs_journal_scan_t *self)
{
    assert(self);
    free(self->data);
    free(self->ranges);
    memset(self, 0, sizeof *self);
}
