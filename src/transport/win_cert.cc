#include "transport/win_cert.h"

// clang-format off
#include <bcrypt.h>
// clang-format on

#include <algorithm>
#include <cstring>
#include <cwctype>
#include <span>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "platform/platform.h"

namespace sentinel::transport::wincert {

namespace {

// Frees what CryptDecodeObjectEx(CRYPT_DECODE_ALLOC_FLAG) allocated.
template <typename T>
struct Decoded {
    T* value = nullptr;
    ~Decoded() {
        if (value != nullptr) {
            ::LocalFree(value);
        }
    }
    bool decode(LPCSTR type, const BYTE* data, DWORD size) {
        DWORD out_size = 0;
        return ::CryptDecodeObjectEx(X509_ASN_ENCODING, type, data, size, CRYPT_DECODE_ALLOC_FLAG,
                                     nullptr, &value, &out_size) != 0;
    }
};

LPCWSTR ecdsa_hash(std::string_view signature_oid) {
    if (signature_oid == szOID_ECDSA_SHA256) {
        return BCRYPT_SHA256_ALGORITHM;
    }
    if (signature_oid == szOID_ECDSA_SHA384) {
        return BCRYPT_SHA384_ALGORITHM;
    }
    if (signature_oid == szOID_ECDSA_SHA512) {
        return BCRYPT_SHA512_ALGORITHM;
    }
    return nullptr;
}

// An ECDSA signature is two DER integers, r and s, which are shorter than the curve size when
// their leading bytes are zero (one signature in 128 on P-256). CNG wants r and s each padded to
// the curve size; Wine 8's crypt32 concatenates them unpadded and so rejects those signatures,
// which Windows accepts. This check pads them, so both agree.
bool ecdsa_signed_by(PCCERT_CONTEXT cert, PCCERT_CONTEXT ca) {
    Decoded<CERT_SIGNED_CONTENT_INFO> content;
    if (!content.decode(X509_CERT, cert->pbCertEncoded, cert->cbCertEncoded)) {
        return false;
    }
    const LPCWSTR hash_algorithm = ecdsa_hash(content.value->SignatureAlgorithm.pszObjId);
    if (hash_algorithm == nullptr) {
        return false;
    }
    // CryptoAPI hands the signature bits back byte-reversed; the DER is the other way round.
    const CRYPT_BIT_BLOB& bits = content.value->Signature;
    std::vector<BYTE> der(bits.pbData, bits.pbData + bits.cbData);
    std::reverse(der.begin(), der.end());
    Decoded<CERT_ECC_SIGNATURE> signature;
    if (!signature.decode(X509_ECC_SIGNATURE, der.data(), static_cast<DWORD>(der.size()))) {
        return false;
    }

    BCRYPT_KEY_HANDLE key = nullptr;
    if (!::CryptImportPublicKeyInfoEx2(X509_ASN_ENCODING, &ca->pCertInfo->SubjectPublicKeyInfo, 0,
                                       nullptr, &key)) {
        return false;
    }
    // The key is an uncompressed point, 04 || X || Y: r and s are each as long as X.
    const CRYPT_BIT_BLOB& point = ca->pCertInfo->SubjectPublicKeyInfo.PublicKey;
    const size_t half = point.cbData > 1 ? (point.cbData - 1) / 2 : 0;
    // Little-endian magnitudes; a DER sign byte, if kept, is a high-order zero.
    const auto magnitude = [](const CRYPT_UINT_BLOB& blob) {
        DWORD n = blob.cbData;
        while (n > 0 && blob.pbData[n - 1] == 0) {
            --n;
        }
        return std::span<const BYTE>(blob.pbData, n);
    };
    const auto r = magnitude(signature.value->r);
    const auto s = magnitude(signature.value->s);
    bool good = half > 0 && !r.empty() && !s.empty() && r.size() <= half && s.size() <= half;

    BYTE hash[64];
    DWORD hash_size = sizeof(hash);
    good = good &&
           ::CryptHashCertificate2(hash_algorithm, 0, nullptr, content.value->ToBeSigned.pbData,
                                   content.value->ToBeSigned.cbData, hash, &hash_size);
    if (good) {
        // CRYPT_UINT_BLOB is little-endian; CNG wants r then s, each big-endian, right-aligned.
        std::vector<BYTE> raw(2 * half, 0);
        for (size_t i = 0; i < r.size(); ++i) {
            raw[half - 1 - i] = r[i];
        }
        for (size_t i = 0; i < s.size(); ++i) {
            raw[2 * half - 1 - i] = s[i];
        }
        good = BCRYPT_SUCCESS(::BCryptVerifySignature(key, nullptr, hash, hash_size, raw.data(),
                                                      static_cast<ULONG>(raw.size()), 0));
    }
    ::BCryptDestroyKey(key);
    return good;
}

bool same_dns_name(std::wstring_view pattern, std::wstring_view host) {
    const auto lower = [](std::wstring_view v) {
        std::wstring out(v);
        for (wchar_t& c : out) {
            c = static_cast<wchar_t>(std::towlower(c));
        }
        return out;
    };
    const std::wstring p = lower(pattern);
    const std::wstring h = lower(host);
    if (p.rfind(L"*.", 0) == 0) {
        // One leftmost label only, as browsers do.
        const size_t dot = h.find(L'.');
        return dot != std::wstring::npos && dot > 0 && h.substr(dot) == p.substr(1);
    }
    return p == h;
}

}  // namespace

Result<PCCERT_CONTEXT> load_certificate(const std::string& path) {
    auto text = platform::read_file(path);
    if (!text) {
        return Error{text.error()};
    }
    DWORD size = 0;
    std::string der;
    if (::CryptStringToBinaryA(text->data(), static_cast<DWORD>(text->size()),
                               CRYPT_STRING_BASE64HEADER, nullptr, &size, nullptr, nullptr)) {
        der.resize(size);
        if (!::CryptStringToBinaryA(text->data(), static_cast<DWORD>(text->size()),
                                    CRYPT_STRING_BASE64HEADER, reinterpret_cast<BYTE*>(der.data()),
                                    &size, nullptr, nullptr)) {
            return Error{"CA certificate " + path + " is not a PEM certificate"};
        }
        der.resize(size);
    } else {
        der = std::move(*text);
    }
    PCCERT_CONTEXT cert = ::CertCreateCertificateContext(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING,
                                                         reinterpret_cast<const BYTE*>(der.data()),
                                                         static_cast<DWORD>(der.size()));
    if (cert == nullptr) {
        return Error{"CA certificate " + path + " cannot be read as an X.509 certificate"};
    }
    return cert;
}

bool signed_by(PCCERT_CONTEXT cert, PCCERT_CONTEXT ca) {
    if (::CertCompareCertificate(X509_ASN_ENCODING, cert->pCertInfo, ca->pCertInfo)) {
        return true;
    }
    if (!::CertCompareCertificateName(X509_ASN_ENCODING, &cert->pCertInfo->Issuer,
                                      &ca->pCertInfo->Subject)) {
        return false;
    }
    if (::CertVerifyTimeValidity(nullptr, cert->pCertInfo) != 0) {
        return false;
    }
    if (::CryptVerifyCertificateSignatureEx(
            0, X509_ASN_ENCODING, CRYPT_VERIFY_CERT_SIGN_SUBJECT_CERT,
            const_cast<void*>(static_cast<const void*>(cert)), CRYPT_VERIFY_CERT_SIGN_ISSUER_CERT,
            const_cast<void*>(static_cast<const void*>(ca)), 0, nullptr)) {
        return true;
    }
    const std::string_view key_type = ca->pCertInfo->SubjectPublicKeyInfo.Algorithm.pszObjId;
    return key_type == szOID_ECC_PUBLIC_KEY && ecdsa_signed_by(cert, ca);
}

bool names_host(PCCERT_CONTEXT cert, const std::wstring& host) {
    const CERT_EXTENSION* ext = ::CertFindExtension(
        szOID_SUBJECT_ALT_NAME2, cert->pCertInfo->cExtension, cert->pCertInfo->rgExtension);
    if (ext == nullptr) {
        return false;
    }
    Decoded<CERT_ALT_NAME_INFO> info;
    if (!info.decode(X509_ALTERNATE_NAME, ext->Value.pbData, ext->Value.cbData)) {
        return false;
    }
    std::wstring bare = host;
    if (bare.size() > 2 && bare.front() == L'[' && bare.back() == L']') {
        bare = bare.substr(1, bare.size() - 2);
    }
    // Address literals are ASCII; anything else is not an address.
    std::string ascii;
    for (wchar_t c : bare) {
        ascii.push_back(c < 0x80 ? static_cast<char>(c) : '?');
    }
    const auto ip = IpAddress::parse(ascii);
    for (DWORD i = 0; i < info.value->cAltEntry; ++i) {
        const CERT_ALT_NAME_ENTRY& e = info.value->rgAltEntry[i];
        if (e.dwAltNameChoice == CERT_ALT_NAME_DNS_NAME && !ip && e.pwszDNSName != nullptr) {
            if (same_dns_name(e.pwszDNSName, bare)) {
                return true;
            }
        } else if (e.dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS && ip) {
            const size_t n = ip->is_v4() ? 4 : 16;
            if (e.IPAddress.cbData == n &&
                std::memcmp(e.IPAddress.pbData, ip->bytes().data(), n) == 0) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace sentinel::transport::wincert
