/* sip_digest: HA1 = MD5(user:realm:password). See sip_digest.h. */
#include "sip_digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

cc_status sip_ha1(char out[SIP_HA1_LEN + 1], const char *user, const char *realm,
                  const char *password)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, user, strlen(user)) == 1 && EVP_DigestUpdate(ctx, ":", 1) == 1 &&
             EVP_DigestUpdate(ctx, realm, strlen(realm)) == 1 &&
             EVP_DigestUpdate(ctx, ":", 1) == 1 &&
             EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &n) == 1 && n * 2 == SIP_HA1_LEN;

    EVP_MD_CTX_free(ctx); /* also wipes the digest state */
    out[0] = '\0';
    if (!ok)
        return CC_ERR_IO;
    for (unsigned int i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[SIP_HA1_LEN] = '\0';
    OPENSSL_cleanse(md, sizeof(md));
    return CC_OK;
}
