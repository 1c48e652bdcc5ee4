/*
 * replay: runs a fuzz target over files, without libFuzzer, so `make test`
 * replays every corpus (seeds and old crashers) under ASan/UBSan with gcc.
 * Each argument is a file or a directory of files (replayed in name order).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1024 * 1024)

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t n;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    buf = malloc(REPLAY_MAX_INPUT);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }
    n = fread(buf, 1, REPLAY_MAX_INPUT, f);
    fclose(f);
    /* an exact-size copy, so ASan catches a read one past the end */
    {
        uint8_t *exact = malloc(n > 0 ? n : 1);
        memcpy(exact, buf, n);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
    }
    free(buf);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    int count = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **list;
            int n = scandir(argv[i], &list, NULL, by_name);
            if (n < 0) {
                perror(argv[i]);
                return 1;
            }
            for (int j = 0; j < n; j++) {
                char path[4096];
                struct stat fst;
                snprintf(path, sizeof(path), "%s/%s", argv[i], list[j]->d_name);
                if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) {
                    if (replay_file(path) != 0)
                        return 1;
                    count++;
                }
                free(list[j]);
            }
            free(list);
        } else {
            if (replay_file(argv[i]) != 0)
                return 1;
            count++;
        }
    }
    printf("replayed %d inputs\n", count);
    return count > 0 ? 0 : 1;
}
