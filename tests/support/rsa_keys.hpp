#pragma once
// RSA key pairs made at test time (no private key is ever committed), for SmartVault's signed
// client tokens.

#include <string>

namespace taxsync::testing {

struct RsaKeyPair {
    std::string private_pem;  // PKCS #8
    std::string public_pem;   // SubjectPublicKeyInfo
};

RsaKeyPair generate_rsa_key_pair(int bits = 2048);

}  // namespace taxsync::testing
