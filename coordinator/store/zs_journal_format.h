//  zs_journal_format - a journal's bytes on disk, and reading them back across damage
//
//  Format 1 opens the file with a header and frames every record with the file's tag:
//      header: [magic "ZSJL"][u32 version = 1][u32 tag][u32 CRC-32C of the 12 bytes
//      before] record: [u32 tag][u32 size][u32 CRC-32C of tag, size and body][body: size
//      bytes]
//  with integers little-endian. The tag is random per file (never 0, so a zero-filled
//  tail holds no tag), which lets a reader find the next record after damage: at every
//  byte offset it tries the tag, a size that fits in ZS_JOURNAL_RECORD_MAX and the file,
//  and the CRC. A payload that embeds bytes framed like a record, even a copy of another
//  journal, cannot pass for one, because it cannot know this file's tag; and since each
//  record's CRC covers the tag, the records themselves tell the tag when the header is
//  the damaged part.
//
//  Format 0, before the header, is headerless: [u32 size][u32 CRC-32C of body][body]. It
//  is read only to migrate a journal: its size field never exceeds 8 MiB, so its byte 3
//  is 0 and never the 'L' of the magic. Without a tag, a resync in format 0 can only go
//  by size and CRC.
//
//  zs_journal_scan_t reads a file in order, one valid record at a time, and records the
//  ranges it had to skip. The last range is the torn tail when it reaches the end of the
//  file (a crash in the middle of a write), and any other one is damage that valid
//  records follow. It reads the file through a window of at most one record plus a
//  chunk, never more, however large the file.

#ifndef ZS_JOURNAL_FORMAT_H
#define ZS_JOURNAL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/store/zs_journal.h"

#define ZS_JOURNAL_FILE_HEADER 16  //  bytes of the file header (format 1)
#define ZS_JOURNAL_FRAME       12  //  bytes of tag, size and CRC before each body
#define ZS_JOURNAL_FRAME_V0    8   //  bytes of size and CRC before a format-0 body
#define ZS_JOURNAL_VERSION     1   //  the format written, and the newest one read

//  One run of bytes a scan skipped
typedef struct {
    uint64_t offset;  //  first byte skipped
    uint64_t length;  //  bytes skipped
} zs_journal_range_t;

typedef struct {
    int fd;                      //  borrowed
    uint64_t file_size;          //  at zs_journal_scan_init
    unsigned version;            //  0 (headerless) or ZS_JOURNAL_VERSION
    bool has_header;             //  a valid header opens the file
    uint32_t tag;                //  the records' tag (format 1)
    uint64_t next;               //  offset of the next record to try
    uint64_t end;                //  end of the last valid record or of the header
    uint8_t *data;               //  owned: file bytes from `base` on
    uint64_t base;               //  file offset of data[0]
    size_t used;                 //  bytes held in data
    size_t alloc;                //  bytes allocated for data
    zs_journal_range_t *ranges;  //  owned: what was skipped, in file order
    size_t range_count;          //  ranges held
    size_t range_alloc;          //  ranges allocated
} zs_journal_scan_t;

//  CRC-32C (Castagnoli) of size bytes, continuing crc, the CRC of what came before (0
//  at the start): crc32c(crc32c(0, a), b) is the CRC of a then b.
uint32_t zs_journal_crc32c(uint32_t crc, const void *data, size_t size);

//  The file header for tag, ZS_JOURNAL_FILE_HEADER bytes at dest.
void zs_journal_header_encode(uint8_t *dest, uint32_t tag);

//  The frame before a body of size bytes, ZS_JOURNAL_FRAME bytes at dest.
void
zs_journal_frame_encode(uint8_t *dest, uint32_t tag, const void *body, uint32_t size);

//  Start reading the file open as fd from the start: find its format from the header,
//  or, when the header is damaged or absent, from the first valid record. An empty
//  file, or one too short or zero-filled to hold a header, scans as format 1 without
//  header or record. Returns 0, or -1 with err filled as "TEXT" (no path) when a read
//  fails (errno kept), the file's format is newer than ZS_JOURNAL_VERSION, or the file
//  holds neither a header nor a valid record (not a journal). Call zs_journal_scan_fini
//  in every case.
int zs_journal_scan_init(zs_journal_scan_t *self, int fd, zs_error_t *err);

//  The next valid record: returns 1 with its body (borrowed until the next call) and
//  size, 0 at the end of the file, or -1 with errno when a read fails. Damage on the way
//  is skipped and added to ranges.
int
zs_journal_scan_next(zs_journal_scan_t *self, const uint8_t **body_p, uint32_t *size_p);

//  Ranges that valid records follow: every range but a torn tail.
size_t zs_journal_scan_inner(const zs_journal_scan_t *self);

//  The torn tail, or NULL when the last valid record (or the header) ends the file.
const zs_journal_range_t *zs_journal_scan_tail(const zs_journal_scan_t *self);

void zs_journal_scan_fini(zs_journal_scan_t *self);

#endif
