#include "tests/support/rsa_keys.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

namespace taxsync::testing {

RsaKeyPair generate_rsa_key_pair(int bits) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(static_cast<unsigned>(bits)), EVP_PKEY_free);
    if (!key) throw std::runtime_error("RSA key generation failed");
    const auto pem = [&](bool private_part) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        const int written = private_part
                                ? PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
                                : PEM_write_bio_PUBKEY(bio.get(), key.get());
        if (written != 1) throw std::runtime_error("cannot write a PEM key");
        char* data = nullptr;
        const long size = BIO_get_mem_data(bio.get(), &data);
        return std::string(data, static_cast<std::size_t>(size));
    };
    return {pem(true), pem(false)};
}

}  // namespace taxsync::testing
