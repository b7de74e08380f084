//  test_dlfile - a download's files: the partial file, its lock, resume, rename and
//  removal, and paths that cannot leave the type's dir whatever is planted in it

#include "agent/zs_dlfile.h"
#include "tests/unit/zs_test.h"

#include <czmq.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATH_MAX 512  //  a path in the test's directory

//  A fresh temporary directory, removed by s_dir_remove
static void
s_dir_new(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/zs-test-dlfile-XXXXXX");
    char *made = mkdtemp(dir);
    assert(made);
}

static void
s_dir_remove(const char *dir)
{
    char command[S_PATH_MAX];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    int rc = system(command);
    assert(rc == 0);
}

//  Size of dir/name, or -1 when there is nothing there (a link counts as itself)
static long long
s_size(const char *dir, const char *name)
{
    char path[2 * S_PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0 ? (long long) st.st_size : -1;
}

static void
test_write_then_commit(void)
{
    char dir[64];
    s_dir_new(dir, sizeof dir);
    zs_dlfile_t file;
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "a/b/c.bin", &err) == 0);
    ZS_EXPECT(ok, file.size == 0 && s_size(dir, "a/b/.c.bin.part") == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "hello ", 6) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "world", 5) == 0 && file.size == 11);
    char back[16] = "";
    ZS_EXPECT(ok,
              zs_dlfile_read(&file, back, 5, 6) == 5 && memcmp(back, "world", 5) == 0);
    ZS_EXPECT(ok, zs_dlfile_commit(&file, &err) == 0);
    ZS_EXPECT(ok, file.fd == -1 && file.dir_fd == -1);
    ZS_EXPECT(ok, s_size(dir, "a/b/c.bin") == 11 && s_size(dir, "a/b/.c.bin.part") == -1);
    s_dir_remove(dir);
    ZS_CHECK(ok);
}

static void
test_close_keeps_bytes_for_resume(void)
{
    char dir[64];
    s_dir_new(dir, sizeof dir);
    zs_dlfile_t file;
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "12345", 5) == 0);
    zs_dlfile_close(&file);
    zs_dlfile_close(&file);  //  twice: the second does nothing
    ZS_EXPECT(ok, s_size(dir, ".f.part") == 5);
    //  The next attempt finds the bytes, and appends after them
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == 0 && file.size == 5);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "67", 2) == 0 && file.size == 7);
    ZS_EXPECT(ok, zs_dlfile_truncate(&file) == 0 && file.size == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "x", 1) == 0 && zs_dlfile_flush(&file) == 0);
    ZS_EXPECT(ok, s_size(dir, ".f.part") == 1);
    zs_dlfile_discard(&file);
    ZS_EXPECT(ok, s_size(dir, ".f.part") == -1);
    //  An attempt that wrote nothing leaves nothing
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "g", &err) == 0);
    zs_dlfile_close(&file);
    ZS_EXPECT(ok, s_size(dir, ".g.part") == -1);
    s_dir_remove(dir);
    ZS_CHECK(ok);
}

//  Small pieces wait in the buffer until a flush, a full buffer, a read or the end;
//  a piece as large as the buffer goes straight to the file, after what waits
static void
test_writes_are_buffered(void)
{
    char dir[64];
    s_dir_new(dir, sizeof dir);
    zs_dlfile_t file;
    zs_error_t err;
    bool ok = true;
    uint8_t *big = zs_malloc(ZS_DLFILE_BUFFER);
    memset(big, 'b', ZS_DLFILE_BUFFER);
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "abc", 3) == 0);
    ZS_EXPECT(ok, file.size == 3 && file.pending == 3 && s_size(dir, ".f.part") == 0);
    ZS_EXPECT(ok, zs_dlfile_flush(&file) == 0 && file.pending == 0);
    ZS_EXPECT(ok, s_size(dir, ".f.part") == 3);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "de", 2) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, big, ZS_DLFILE_BUFFER) == 0);
    ZS_EXPECT(ok, file.pending == 0 && file.size == 5 + ZS_DLFILE_BUFFER);
    ZS_EXPECT(ok, s_size(dir, ".f.part") == 5 + ZS_DLFILE_BUFFER);
    //  Pieces that overflow the buffer push out what it held
    for (size_t at = 0; at < ZS_DLFILE_BUFFER + 1; at += 4096) {
        ZS_EXPECT(ok, zs_dlfile_write(&file, big, 4096) == 0);
    }
    ZS_EXPECT(ok,
              file.pending == 4096 && s_size(dir, ".f.part") == 5 + 2 * ZS_DLFILE_BUFFER);
    char back[8] = "";
    ZS_EXPECT(ok,
              zs_dlfile_read(&file, back, 5, 0) == 5 && memcmp(back, "abcde", 5) == 0);
    ZS_EXPECT(ok, file.pending == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "z", 1) == 0);
    ZS_EXPECT(ok, zs_dlfile_commit(&file, &err) == 0);
    ZS_EXPECT(ok, s_size(dir, "f") == 6 + 2 * ZS_DLFILE_BUFFER + 4096);
    //  Close writes out what waits, for the next attempt to resume from
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "g", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "12345", 5) == 0);
    zs_dlfile_close(&file);
    ZS_EXPECT(ok, s_size(dir, ".g.part") == 5);
    //  Truncate and discard drop it
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "g", &err) == 0 && file.size == 5);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "678", 3) == 0);
    ZS_EXPECT(ok, zs_dlfile_truncate(&file) == 0 && file.pending == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "9", 1) == 0);
    zs_dlfile_discard(&file);
    ZS_EXPECT(ok, s_size(dir, ".g.part") == -1);
    free(big);
    s_dir_remove(dir);
    ZS_CHECK(ok);
}

//  A reservation allocates blocks but leaves the size, which a resume starts from
static void
test_reserve_keeps_size(void)
{
    char dir[64], path[S_PATH_MAX];
    s_dir_new(dir, sizeof dir);
    zs_dlfile_t file;
    zs_error_t err;
    struct stat st;
    bool ok = true;
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "abc", 3) == 0);
    ZS_EXPECT(ok, zs_dlfile_reserve(&file, 4 * ZS_DLFILE_BUFFER) == 0);
    ZS_EXPECT(ok, zs_dlfile_reserve(&file, 2) == 0);  //  less than there is: nothing
    snprintf(path, sizeof path, "%s/.f.part", dir);
    ZS_EXPECT(ok, stat(path, &st) == 0 && st.st_size == 0);
    ZS_EXPECT(ok, file.size == 3);
    zs_dlfile_close(&file);
    ZS_EXPECT(ok, stat(path, &st) == 0 && st.st_size == 3);
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == 0 && file.size == 3);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "d", 1) == 0);
    ZS_EXPECT(ok, zs_dlfile_commit(&file, &err) == 0 && s_size(dir, "f") == 4);
    s_dir_remove(dir);
    ZS_CHECK(ok);
}

static void
test_lock_refuses_a_second_writer(void)
{
    char dir[64];
    s_dir_new(dir, sizeof dir);
    zs_dlfile_t first, second;
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, zs_dlfile_open(&first, dir, "f", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_open(&second, dir, "f", &err) == ZS_DLFILE_E_BUSY);
    ZS_EXPECT(ok, strstr(err.text, "another download") && second.fd == -1);
    //  The refused one did not remove the holder's (empty) file
    ZS_EXPECT(ok, s_size(dir, ".f.part") == 0);
    zs_dlfile_close(&first);
    ZS_EXPECT(ok, zs_dlfile_open(&second, dir, "f", &err) == 0);
    zs_dlfile_close(&second);
    s_dir_remove(dir);
    ZS_CHECK(ok);
}

static void
test_paths_refused(void)
{
    const char *bad[] = {"",   "/etc/passwd", "../x",    "a/../../x", "a/./b",
                         ".",  "..",          ".hidden", "a/.b",      "a//b",
                         "a/", "x\ty",        "x\x7f",   "/",         "a/b/.."};
    bool ok = true;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zs_error_t err = {0};
        if (zs_dlfile_path_check(bad[i], &err) != ZS_DLFILE_E_REFUSED || !err.text[0]) {
            fprintf(stderr, "path %zu not refused\n", i);
            ok = false;
        }
    }
    char name[ZS_DLFILE_NAME_MAX + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    zs_error_t err;
    ZS_EXPECT(ok, zs_dlfile_path_check(name, &err) == ZS_DLFILE_E_REFUSED);
    name[ZS_DLFILE_NAME_MAX] = '\0';
    ZS_EXPECT(ok, zs_dlfile_path_check(name, &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_path_check("dir/sub/file-1.2_x+y~z.tar.gz", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_path_check("caf\xc3\xa9 menu.pdf", &err) == 0);
    ZS_CHECK(ok);
}

static void
test_symlinks_are_not_followed(void)
{
    char dir[64], outside[64], link[S_PATH_MAX], target[S_PATH_MAX];
    s_dir_new(dir, sizeof dir);
    s_dir_new(outside, sizeof outside);
    bool ok = true;
    //  A directory on the way that is a link out
    snprintf(link, sizeof link, "%s/out", dir);
    ZS_EXPECT(ok, symlink(outside, link) == 0);
    //  A partial file's name that is a link to a file out
    snprintf(link, sizeof link, "%s/.f.part", dir);
    snprintf(target, sizeof target, "%s/victim", outside);
    ZS_EXPECT(ok, symlink(target, link) == 0);
    //  A file where a directory should be
    snprintf(link, sizeof link, "%s/plain", dir);
    ZS_EXPECT(ok, close(open(link, O_CREAT | O_WRONLY, 0644)) == 0);
    zs_dlfile_t file;
    zs_error_t err;
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "out/x", &err) == ZS_DLFILE_E_IO);
    ZS_EXPECT(ok, strstr(err.text, "cannot open directory 'out'"));
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == ZS_DLFILE_E_IO);
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "plain/x", &err) == ZS_DLFILE_E_IO);
    ZS_EXPECT(ok, s_size(outside, "x") == -1 && s_size(outside, ".x.part") == -1);
    ZS_EXPECT(ok, s_size(outside, "victim") == -1);
    ZS_EXPECT(ok, file.fd == -1 && file.dir_fd == -1 && !file.name);
    s_dir_remove(dir);
    s_dir_remove(outside);
    ZS_CHECK(ok);
}

static void
test_dir_created_when_missing(void)
{
    char base[64], dir[S_PATH_MAX];
    s_dir_new(base, sizeof base);
    snprintf(dir, sizeof dir, "%s/not/yet", base);
    zs_dlfile_t file;
    zs_error_t err;
    bool ok = true;
    ZS_EXPECT(ok, zs_dlfile_open(&file, dir, "f", &err) == 0);
    ZS_EXPECT(ok, zs_dlfile_write(&file, "x", 1) == 0);
    ZS_EXPECT(ok, zs_dlfile_commit(&file, &err) == 0);
    ZS_EXPECT(ok, s_size(dir, "f") == 1);
    s_dir_remove(base);
    ZS_CHECK(ok);
}

static const zs_test_case_t s_cases[] = {
    {"write_then_commit", test_write_then_commit},
    {"close_keeps_bytes_for_resume", test_close_keeps_bytes_for_resume},
    {"writes_are_buffered", test_writes_are_buffered},
    {"reserve_keeps_size", test_reserve_keeps_size},
    {"lock_refuses_a_second_writer", test_lock_refuses_a_second_writer},
    {"paths_refused", test_paths_refused},
    {"symlinks_are_not_followed", test_symlinks_are_not_followed},
    {"dir_created_when_missing", test_dir_created_when_missing},
};

ZS_TEST_MAIN(s_cases)
