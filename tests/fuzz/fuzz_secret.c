/* Fuzz target: cc_config_read_secret (a password file, e.g. a mounted
 * Kubernetes Secret) over arbitrary file contents, through a memfd. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], out[128], err[512];
    int fd = memfd_create("secret", MFD_CLOEXEC);
    cc_status st;

    if (fd < 0)
        abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    st = cc_config_read_secret("CC_X_PASSWORD_FILE", path, out, sizeof(out), err, sizeof(err));
    close(fd);
    if (st == CC_OK) {
        /* one non-empty line that fits, and a prefix of the input */
        size_t n = strlen(out);
        if (n == 0 || n >= sizeof(out) || n > size || memcmp(out, data, n) != 0 ||
            strchr(out, '\n') != NULL || strchr(out, '\r') != NULL)
            abort();
    } else if (st != CC_ERR_CONFIG || memchr(err, '\0', sizeof(err)) == NULL ||
               strchr(err, '\n') != NULL) {
        abort();
    }
    return 0;
}
