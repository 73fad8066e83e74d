#pragma once
// Turns one CSV export into TaxClient records: header aliases to fields, then each row validated
// on its own (a bad row is a Problem; the other rows still go through). What differs between
// tax packages lives in a TabularFormat; everything else is shared.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/csv_reader.hpp"
#include "connectors/file_connector.hpp"
#include "connectors/header_aliases.hpp"
#include "connectors/text_decoding.hpp"
#include "core/tax_client.hpp"
#include "core/tax_id.hpp"

namespace taxsync::connectors {

/// What a package tells about a return without a column for it (Lacerte's id suffix).
struct ReturnHint {
    EntityKind kind = EntityKind::Individual;
    std::string_view return_type;  // "1040", "1120S", ...
};

/// One tax package's dialect of the tabular export.
struct TabularFormat {
    std::string_view type;  // the `type` in the config
    std::string_view description;
    std::vector<std::span<const HeaderAlias>> aliases;
    /// Lacerte ends client ids in a letter naming the kind of return ("00417I", "00120C").
    std::optional<ReturnHint> (*hint_from_client_id)(std::string_view client_id) = nullptr;
    /// ProSeries names returns by client-file letter ("i", "s", ".25p"): the form name for a code it knows.
    std::optional<std::string_view> (*form_from_return_code)(std::string_view code) = nullptr;
    /// Columns the package always writes that taxsync has no use for: not reported as unknown.
    std::span<const std::string_view> unused_headers = {};
    /// The package stores client ids in upper case, so "ab12" and "AB12" are one client (UltraTax).
    bool uppercase_client_ids = false;
    /// Rows after the first blank row are not data (CCH's batch files ignore them); they are reported.
    bool stop_at_blank_row = false;
    /// CCH's NameLine1/NameLine2 hold first and last name for an individual, and the two lines of
    /// the name for a business.
    bool name_lines = false;
    /// With no client id column, the client id is made from the keyed hash of the tax id (Drake
    /// identifies clients by SSN/EIN); the tax id itself never becomes an id.
    bool client_id_from_tax_id = false;
};

/// Everything about the connector that shapes how a file is understood.
struct TabularSettings {
    ConnectorName connector;
    EncodingChoice encoding = EncodingChoice::Auto;
    std::string default_tax_year;
    std::size_t id_width = 0;  // digits of a numeric client id, when the firm's ids have a fixed width
    std::string sheet;         // .xlsx: the worksheet to read; empty means the first
};

/// Decodes (or unpacks, for .xlsx), reads and converts one export file, handing each client to `take` as soon as
/// its row is converted (the file is never held as clients). `file` names it in problems and in each client's
/// source. When the outcome says failed, the clients already taken must be forgotten.
ConvertedFile stream_export(std::string_view bytes, const std::filesystem::path& file, const TabularFormat& format,
                            const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                            const TaxIdHasher& tax_ids, const TakeClient& take);

/// stream_export into `clients` of the result. When the file fails as a whole, `clients` is empty.
ConvertedFile convert_export(std::string_view bytes, const std::filesystem::path& file, const TabularFormat& format,
                             const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                             const TaxIdHasher& tax_ids);

/// Converts records that were read elsewhere (header first), exactly as rows of a file, handing
/// each client to `take`; `bytes` are what the content hash is taken over and `encoding` is
/// reported as the file's.
ConvertedFile stream_records(const CsvDocument& document, std::string_view bytes, std::string encoding,
                             const std::filesystem::path& source, const TabularFormat& format,
                             const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                             const TaxIdHasher& tax_ids, const TakeClient& take);

/// stream_records into `clients` of the result.
ConvertedFile convert_records(const CsvDocument& document, std::string_view bytes, std::string encoding,
                              const std::filesystem::path& source, const TabularFormat& format,
                              const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                              const TaxIdHasher& tax_ids);

/// "Individual", "1040", "S Corporation", "1065", ... -> the kind; nullopt when not recognized.
std::optional<EntityKind> kind_from_client_type(std::string_view client_type);
/// "1040", "Form 1120-S", "990-EZ", ... -> the kind; nullopt when not a form we know.
std::optional<EntityKind> kind_from_return_type(std::string_view return_type);
/// Sets the person's email and its status from what the export wrote: empty is Missing; a
/// plausible address is Usable and normalized; anything else is Invalid and kept as written (tax
/// ids masked) for the review list. Returns false for Invalid, which the caller reports.
bool assign_email(Person& person, std::string_view written);

/// The client id of a client known only by its tax id: "tin-" and 16 hex digits of the keyed hash,
/// stable for one installation; the number itself never becomes an id.
std::string client_id_from_tax_id(const TaxIdFingerprint& tax_id);
/// True for what Excel makes of a long number: "1.2E+07", "1E+07", "4.5e-3".
bool looks_like_scientific_notation(std::string_view value);

}  // namespace taxsync::connectors
