// The Windows agent's own check of the server certificate against ca.crt (WinHTTP is told to
// accept an unknown root, so this is the check that counts). Windows-only.
#pragma once

// clang-format off
#include <windows.h>
#include <wincrypt.h>
// clang-format on

#include <string>

#include "common/status.h"

namespace sentinel::transport::wincert {

// The first certificate of a PEM (or DER) file. The caller frees it (CertFreeCertificateContext).
Result<PCCERT_CONTEXT> load_certificate(const std::string& path);

// True when `cert` is `ca` itself, or names `ca` as issuer, is signed by its key and is within
// its validity dates.
bool signed_by(PCCERT_CONTEXT cert, PCCERT_CONTEXT ca);

// True when the certificate's subject alternative names include `host` (a DNS name, wildcard in
// the leftmost label allowed, or an IP address, optionally in brackets).
bool names_host(PCCERT_CONTEXT cert, const std::wstring& host);

}  // namespace sentinel::transport::wincert
