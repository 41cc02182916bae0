/* OpenSSL libcrypto: HMAC-SHA256 signs Jupyter messages. */
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
