#pragma once
// Why a whole export file could not be taken, and where: the intake steps (decoding, CSV reading,
// header mapping) report this, and the connector turns it into a file-level Problem.

#include <cstddef>
#include <string>

namespace taxsync::connectors {

struct FileFault {
    std::size_t line = 0;  // physical line (1-based); 0 when the fault concerns no particular line
    std::string reason;
    /// True when reading the same bytes again can never succeed (binary, bad encoding, no header):
    /// the file is moved to quarantine. False for a file that may still be being written.
    bool unreadable = false;
};

}  // namespace taxsync::connectors
