#include "connectors/tabular.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <map>
#include <utility>

#include "connectors/name_parsing.hpp"
#include "connectors/xlsx_reader.hpp"
#include "core/digest.hpp"
#include "core/redact.hpp"
#include "core/string_index.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

constexpr std::size_t index_of(Field field) { return static_cast<std::size_t>(field); }

/// Letters and digits only, lower case: "S Corporation" -> "scorporation", "Non-Profit" -> "nonprofit".
std::string value_key(std::string_view value) {
    std::string key;
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0) key.push_back(static_cast<char>(std::tolower(byte)));
    }
    return key;
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

/// Which field each column of a file holds.
struct ColumnLayout {
    std::vector<std::optional<Field>> field_of_column;
    std::vector<std::string> unknown_headers;
    std::array<std::vector<std::string>, kFieldCount> headers_of_field;  // as written, in column order

    [[nodiscard]] bool has(Field field) const { return !headers_of_field[index_of(field)].empty(); }
    [[nodiscard]] std::size_t width() const { return field_of_column.size(); }
};

ColumnLayout layout_columns(const CsvRecord& header, const HeaderVocabulary& vocabulary,
                            std::span<const std::string_view> unused_headers) {
    ColumnLayout layout;
    for (const std::string& raw : header.fields) {
        const std::string name(trim(raw));
        const auto field = vocabulary.lookup(name);
        layout.field_of_column.push_back(field);
        const std::string normalized = normalize_header(name);
        const bool known_unused =
            std::any_of(unused_headers.begin(), unused_headers.end(),
                        [&](std::string_view unused) { return normalize_header(unused) == normalized; });
        if (field) {
            layout.headers_of_field[index_of(*field)].push_back(name);
        } else if (!normalized.empty() && !known_unused) {
            layout.unknown_headers.push_back(name);  // columns with no header (Excel's trailing ",,") are not news
        }
    }
    return layout;
}

/// One row's values by field: trimmed, and the first filled column when several hold one field
/// (Home Phone, Work Phone, Cell Phone).
class RowValues {
public:
    RowValues(const CsvRecord& record, const ColumnLayout& layout) {
        const std::size_t columns = std::min(record.fields.size(), layout.width());
        for (std::size_t column = 0; column < columns; ++column) {
            const auto field = layout.field_of_column[column];
            const std::string_view value = trim(record.fields[column]);
            if (field && !value.empty() && values_[index_of(*field)].empty()) values_[index_of(*field)] = value;
        }
    }

    [[nodiscard]] std::string_view get(Field field) const { return values_[index_of(field)]; }
    [[nodiscard]] bool any_filled(std::initializer_list<Field> fields) const {
        return std::any_of(fields.begin(), fields.end(), [this](Field field) { return !get(field).empty(); });
    }

private:
    std::array<std::string_view, kFieldCount> values_{};
};

std::size_t filled_columns_beyond(const CsvRecord& record, std::size_t width) {
    if (record.fields.size() <= width) return 0;
    return static_cast<std::size_t>(std::count_if(record.fields.begin() + static_cast<std::ptrdiff_t>(width),
                                                  record.fields.end(),
                                                  [](const std::string& field) { return !trim(field).empty(); }));
}

/// The names of one person as the row gives them, before cleaning.
struct NameParts {
    std::string first;
    std::string middle;
    std::string last;
};

/// Reads one file: owns the result while it is being built.
class FileConverter {
public:
    FileConverter(const std::filesystem::path& file, const TabularFormat& format, const HeaderVocabulary& vocabulary,
                  const TabularSettings& settings, const TaxIdHasher& tax_ids, const TakeClient& take)
        : file_(file.string()),
          format_(format),
          vocabulary_(vocabulary),
          settings_(settings),
          tax_ids_(tax_ids),
          take_(take) {
        result_.outcome.path = file;
        // Set once: every client of the file shares them, and the record is reused row by row.
        client_.connector = settings_.connector;
        client_.source.file = file_;
    }

    ConvertedFile run(std::string_view bytes) && {
        result_.outcome.content_hash = sha256_hex(bytes);
        if (looks_like_xlsx(bytes)) {
            result_.outcome.encoding = "xlsx";
            auto sheet = read_xlsx(bytes, settings_.sheet);
            if (sheet.has_error()) return fail_file(sheet.error());
            return take_records(*sheet);
        }
        auto decoded = decode_export_text_in_place(bytes, settings_.encoding);
        if (decoded.has_error()) return fail_file(decoded.error());
        result_.outcome.encoding = decoded->encoding;
        const std::string_view text = decoded->text(bytes);
        reserve_for(text);
        // Rows are converted as the reader completes them: the file is never held as records.
        const auto terminated = stream_csv(text, [this](const CsvRecord& record) { take(record); });
        if (terminated.has_error()) return fail_file(terminated.error());
        return finish(*terminated);
    }

    /// Records already read by someone else (the exec connector's JSON lines) over `bytes`.
    ConvertedFile run_records(const CsvDocument& document, std::string_view bytes, std::string encoding) && {
        result_.outcome.content_hash = sha256_hex(bytes);
        result_.outcome.encoding = std::move(encoding);
        return take_records(document);
    }

private:
    // At most one client id per line: sized once, the id index never rehashes (at 100,000 rows
    // rehashing was a tenth of the time). Lines beyond a million leave the rest to growth.
    void reserve_for(std::string_view text) {
        constexpr std::size_t kMostReserved = 1'000'000;
        const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
        first_line_of_id_.reserve(std::min(lines, kMostReserved));
    }

    ConvertedFile fail_file(const FileFault& fault) {
        return failed_file(result_.outcome.path, fault, result_.outcome);
    }

    void report(std::size_t line, Severity severity, std::string_view reason) {
        // Quoted values come from the file; mask anything shaped like a tax id before it is kept.
        result_.problems.push_back(Problem{file_, line, severity, mask_tax_ids(reason)});
    }
    void warn(std::size_t line, std::string_view reason) { report(line, Severity::Warning, reason); }
    void reject(std::size_t line, std::string_view reason) { report(line, Severity::Error, reason); }

    ConvertedFile take_records(const CsvDocument& document) {
        for (const CsvRecord& record : document.records) take(record);
        return finish(document.last_record_terminated);
    }

    /// One record of the file, in order: the header (the first non-blank one), then rows.
    void take(const CsvRecord& record) {
        if (fault_) return;
        const bool blank = record.is_blank();
        if (!header_line_) {
            if (!blank) take_header(record);
            return;
        }
        last_ = LastRecord{record.line, record.fields.size(), blank};
        if (blank) {
            if (format_.stop_at_blank_row && !first_after_blank_) stopped_at_blank_ = true;
            return;
        }
        if (stopped_at_blank_) {
            if (!first_after_blank_) first_after_blank_ = record.line;
            ++rows_after_blank_;
            return;
        }
        ++result_.outcome.rows;
        convert_row(record);
    }

    void take_header(const CsvRecord& header) {
        header_line_ = header.line;
        last_ = LastRecord{header.line, header.fields.size(), false, true};
        layout_ = layout_columns(header, vocabulary_, format_.unused_headers);
        const bool id_from_tax_id = format_.client_id_from_tax_id && layout_.has(Field::TaxId);
        if (!layout_.has(Field::ClientId) && !id_from_tax_id) {
            std::vector<std::string> found;
            for (const std::string& name : header.fields) {
                if (!trim(name).empty()) found.push_back(in_quotes(trim(name)));
            }
            fault_ = FileFault{header.line,
                               "no client id column; headers found: " + join(found, ", ") +
                                   ". Name the column in [connector.columns] client_id",
                               true};
            return;
        }
        warn_about_header(header.line);
    }

    /// After the last record: the file is taken only if it was whole.
    ConvertedFile finish(bool last_record_terminated) {
        if (fault_) return fail_file(*fault_);
        if (!header_line_)
            return fail_file(FileFault{0, "the file is empty (no header line); probably still being written"});
        if (!last_record_terminated && !last_.header && !last_.blank && last_.fields < layout_.width()) {
            return fail_file(FileFault{last_.line, "line " + std::to_string(last_.line) + " has " +
                                                       std::to_string(last_.fields) + " of " +
                                                       std::to_string(layout_.width()) +
                                                       " fields and no line break: the file is truncated (probably "
                                                       "still being written)"});
        }
        if (rows_after_blank_ > 0) {
            warn(*first_after_blank_, std::to_string(rows_after_blank_) +
                                          " row(s) after the first blank row were not read (" +
                                          std::string(format_.type) + " ignores data below a blank row)");
        }
        return std::move(result_);
    }

    void warn_about_header(std::size_t line) {
        if (!layout_.unknown_headers.empty()) {
            std::vector<std::string> names;
            for (const auto& name : layout_.unknown_headers) names.push_back(in_quotes(name));
            warn(line, "columns not used (no field for them): " + join(names, ", "));
        }
        for (const Field field : all_fields()) {
            const auto& headers = layout_.headers_of_field[index_of(field)];
            // Several phone columns are normal; several columns for anything else deserve a look.
            if (headers.size() < 2 || field == Field::Phone || field == Field::SpousePhone) continue;
            std::vector<std::string> names;
            for (const auto& name : headers) names.push_back(in_quotes(name));
            warn(line, "columns " + join(names, " and ") + " all hold " + std::string(field_name(field)) +
                           "; each row uses the first one that is filled");
        }
    }

    void convert_row(const CsvRecord& record) {
        const std::size_t line = record.line;
        if (const auto extra = filled_columns_beyond(record, layout_.width()); extra > 0) {
            reject(line, "row has " + std::to_string(extra) + " filled field(s) beyond the " +
                             std::to_string(layout_.width()) +
                             " columns of the header (an unquoted delimiter inside a value?)");
            return;
        }
        const RowValues row(record, layout_);
        const auto id = client_id_of(row, line);
        if (!id) return;
        auto [first_line, inserted] = first_line_of_id_.try_emplace(*id);
        if (!inserted) {
            reject(line, "client id " + in_quotes(*id) + " already appears on line " + std::to_string(first_line) +
                             " of this file; this row is skipped");
            return;
        }
        first_line = line;

        TaxClient& client = client_;
        client.id = ClientId(*id);
        client.source.line = line;
        client.business_name.clear();
        client.entity_tax_id.reset();
        client.people.clear();
        client.return_type = return_type_of(row);
        client.kind = decide_kind(row, *id, client.return_type, line);
        const std::string_view year = row.get(Field::TaxYear);
        client.tax_year = year.empty() ? settings_.default_tax_year : std::string(year);
        client.office = collapse_whitespace(row.get(Field::Office));
        client.preparer = collapse_whitespace(row.get(Field::Preparer));
        if (client.kind == EntityKind::Business) {
            fill_business(client, row, line);
        } else {
            fill_household(client, row, line);
            check_household(client, row, line);
        }
        check_zip(row.get(Field::Zip), line);
        take_(client);
        ++result_.outcome.imported;
    }

    /// The row's client id as taxsync keys it, or nullopt (and a rejected row) when it is unusable.
    std::optional<std::string> client_id_of(const RowValues& row, std::size_t line) {
        std::string id(row.get(Field::ClientId));
        if (id.empty() && !layout_.has(Field::ClientId)) {
            // Only formats with client_id_from_tax_id get here (take_document checked).
            auto fingerprint = tax_ids_.fingerprint(row.get(Field::TaxId));
            if (fingerprint.has_error()) {
                reject(line,
                       "no client id column, and the tax id cannot stand in for one: " + fingerprint.error().message);
                return std::nullopt;
            }
            return client_id_from_tax_id(*fingerprint);
        }
        if (id.empty()) {
            reject(line, "client id is empty");
            return std::nullopt;
        }
        if (looks_like_scientific_notation(id)) {
            reject(line, "client id " + in_quotes(id) +
                             " is in scientific notation: Excel turned the id into a number; re-export with the "
                             "column formatted as text");
            return std::nullopt;
        }
        const bool numeric = std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (numeric && settings_.id_width > 0 && id.size() < settings_.id_width) {
            reject(line,
                   "client id " + in_quotes(id) + " has " + std::to_string(id.size()) + " digits, but ids here have " +
                       std::to_string(settings_.id_width) +
                       " (id_width): Excel dropped its leading zeros; re-export with the column formatted as text");
            return std::nullopt;
        }
        if (format_.uppercase_client_ids) {
            std::transform(id.begin(), id.end(), id.begin(),
                           [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
        }
        if (const std::string_view sub_id = row.get(Field::ClientSubId); !sub_id.empty()) {
            id.append("-").append(sub_id);
        }
        return id;
    }

    /// Excel drops the leading zeros of ZIP codes it takes for numbers ("02134" -> "2134").
    void check_zip(std::string_view zip, std::size_t line) {
        if (zip.empty()) return;
        std::string digits;
        for (const char c : zip) {
            if (c >= '0' && c <= '9') digits.push_back(c);
        }
        const bool all_digits = digits.size() == zip.size();
        if (looks_like_scientific_notation(zip)) {
            warn(line, "ZIP code " + in_quotes(zip) +
                           " is in scientific notation (Excel); re-export with the column as text");
        } else if (all_digits &&
                   (digits.size() == 3 || digits.size() == 4 || digits.size() == 7 || digits.size() == 8)) {
            warn(line,
                 "ZIP code " + in_quotes(zip) +
                     " is shorter than a ZIP code: Excel dropped its leading zeros; re-export with the column as text");
        }
    }

    /// A row that contradicts itself is imported as written, with a warning saying what to check.
    void check_household(const TaxClient& client, const RowValues& row, std::size_t line) {
        const Person& taxpayer = client.people.front();
        const Person* spouse = client.person(PersonRole::Spouse);
        if (const std::string_view status = row.get(Field::FilingStatus); !status.empty()) {
            const std::string key = value_key(status);
            const bool joint = key == "mfj" || key == "2" || key == "marriedfilingjointly" || key == "joint" ||
                               key == "marriedjoint" || key == "j";
            const bool single = key == "s" || key == "1" || key == "single";
            if (joint && spouse == nullptr) {
                warn(line,
                     "filing status " + in_quotes(status) + " is married filing jointly, but the row names no spouse");
            } else if (single && spouse != nullptr) {
                warn(line, "filing status " + in_quotes(status) + " is single, but the row names a spouse");
            }
        }
        if (spouse == nullptr) return;
        if (taxpayer.tax_id && spouse->tax_id && taxpayer.tax_id->keyed_hash == spouse->tax_id->keyed_hash) {
            warn(line, "taxpayer and spouse have the same tax id (ending " + taxpayer.tax_id->last4 +
                           "): one of the two columns is wrong");
        }
        if (taxpayer.email_status == EmailStatus::Usable && spouse->email_status == EmailStatus::Usable &&
            taxpayer.email == spouse->email && !taxpayer.first_name.empty() && !spouse->first_name.empty() &&
            taxpayer.first_name == spouse->first_name && taxpayer.last_name == spouse->last_name) {
            warn(line, "taxpayer and spouse have the same name and the same email " + in_quotes(taxpayer.email) +
                           ": the spouse columns probably repeat the taxpayer");
        } else if (taxpayer.email_status == EmailStatus::Usable && spouse->email_status == EmailStatus::Usable &&
                   taxpayer.email == spouse->email && taxpayer.last_name != spouse->last_name) {
            warn(line, "taxpayer " + in_quotes(taxpayer.display_name()) + " and spouse " +
                           in_quotes(spouse->display_name()) + " give the same email " + in_quotes(taxpayer.email) +
                           " under different last names: one portal contact will stand for both");
        }
    }

    std::string return_type_of(const RowValues& row) const {
        std::string written = collapse_whitespace(row.get(Field::ReturnType));
        if (format_.form_from_return_code != nullptr) {
            if (const auto form = format_.form_from_return_code(written)) return std::string(*form);
        }
        return written;
    }

    /// The client type column decides; then the return type; then the package's id convention;
    /// then the names (a business name and no person's name is a business).
    EntityKind decide_kind(const RowValues& row, std::string_view id, std::string& return_type, std::size_t line) {
        std::optional<EntityKind> kind;
        if (const std::string_view type = row.get(Field::ClientType); !type.empty()) {
            kind = kind_from_client_type(type);
            if (!kind) {
                warn(line, "client type " + in_quotes(type) +
                               " is not one taxsync knows; individual or business was decided from the other columns");
            }
        }
        if (!kind && !return_type.empty()) kind = kind_from_return_type(return_type);
        if (format_.hint_from_client_id != nullptr) {
            if (const auto hint = format_.hint_from_client_id(id)) {
                if (kind && *kind != hint->kind) {
                    warn(line, "client id " + in_quotes(id) + " ends in the letter of a " +
                                   std::string(to_string(hint->kind)) + " return, but the other columns say " +
                                   std::string(to_string(*kind)) + "; the columns were used");
                } else {
                    kind = hint->kind;
                    if (return_type.empty()) return_type = std::string(hint->return_type);
                }
            }
        }
        if (kind) return *kind;
        if (row.any_filled({Field::FirstName, Field::LastName})) return EntityKind::Individual;
        if (!row.get(Field::BusinessName).empty()) return EntityKind::Business;
        if (looks_like_business_name(row.get(Field::ClientName))) return EntityKind::Business;
        return EntityKind::Individual;
    }

    void fill_household(TaxClient& client, const RowValues& row, std::size_t line) {
        NameParts taxpayer{std::string(row.get(Field::FirstName)), std::string(row.get(Field::MiddleName)),
                           std::string(row.get(Field::LastName))};
        if (taxpayer.first.empty() && taxpayer.last.empty()) {
            if (const auto parts = split_client_name(row.get(Field::ClientName))) {
                taxpayer.first = parts->first_names;
                taxpayer.last = parts->last_name;
            }
        }
        const bool spouse_columns_filled =
            row.any_filled({Field::SpouseFirstName, Field::SpouseMiddleName, Field::SpouseLastName, Field::SpouseEmail,
                            Field::SpousePhone, Field::SpouseTaxId});
        std::string joint_spouse_first;
        if (const auto joint = split_joint_first_names(taxpayer.first)) {
            if (spouse_columns_filled) {
                warn(line, "first name " + in_quotes(collapse_whitespace(taxpayer.first)) +
                               " names two people, but the spouse columns are filled; kept as written");
            } else {
                taxpayer.first = joint->first;
                joint_spouse_first = joint->second;
            }
        }

        client.people.push_back(make_person(PersonRole::Taxpayer, taxpayer, row.get(Field::Email),
                                            row.get(Field::Phone), row.get(Field::TaxId), "taxpayer", line));
        const std::string family_name = client.people.front().last_name;
        if (spouse_columns_filled) {
            NameParts spouse{std::string(row.get(Field::SpouseFirstName)),
                             std::string(row.get(Field::SpouseMiddleName)),
                             std::string(row.get(Field::SpouseLastName))};
            if (spouse.last.empty()) spouse.last = family_name;  // spouse columns often leave a shared last name out
            client.people.push_back(make_person(PersonRole::Spouse, spouse, row.get(Field::SpouseEmail),
                                                row.get(Field::SpousePhone), row.get(Field::SpouseTaxId), "spouse",
                                                line));
        } else if (!joint_spouse_first.empty()) {
            // SmartVault's "John & Jane": one row, one email, which belongs to the first named.
            client.people.push_back(make_person(PersonRole::Spouse, NameParts{joint_spouse_first, "", family_name}, "",
                                                "", "", "spouse", line));
        }
        // An EIN on a household row belongs to a business of theirs, which this client is not.
        check_tax_id(row.get(Field::Ein), "EIN", line);
    }

    void fill_business(TaxClient& client, const RowValues& row, std::size_t line) {
        NameParts contact{std::string(row.get(Field::FirstName)), std::string(row.get(Field::MiddleName)),
                          std::string(row.get(Field::LastName))};
        client.business_name = collapse_whitespace(row.get(Field::BusinessName));
        if (client.business_name.empty() && format_.name_lines) {
            // NameLine1 and NameLine2 are the two lines of the entity's name, not a person.
            client.business_name = collapse_whitespace(contact.first + " " + contact.last);
            contact = NameParts{};
        }
        if (client.business_name.empty()) client.business_name = collapse_whitespace(row.get(Field::ClientName));
        if (client.business_name.empty() && contact.first.empty() && !contact.last.empty()) {
            // Exports without a business-name column put the entity's name where a surname would go.
            client.business_name = collapse_whitespace(contact.last);
            contact.last.clear();
        }

        // A combined column (SSN/EIN, Federal ID) holds the entity's EIN on a business row; with a
        // separate EIN column it holds the contact person's SSN.
        const std::string_view ein = row.get(Field::Ein);
        const std::string_view entity_tax_id = ein.empty() ? row.get(Field::TaxId) : ein;
        const std::string_view contact_tax_id = ein.empty() ? std::string_view{} : row.get(Field::TaxId);
        client.entity_tax_id = check_tax_id(entity_tax_id, "business EIN", line);

        // A phone alone is the business's own number, not a person to invite.
        const bool contact_given = !contact.first.empty() || !contact.middle.empty() || !contact.last.empty() ||
                                   !row.get(Field::Email).empty() || !contact_tax_id.empty();
        if (contact_given) {
            client.people.push_back(make_person(PersonRole::Taxpayer, contact, row.get(Field::Email),
                                                row.get(Field::Phone), contact_tax_id, "business contact", line));
        }
        if (row.any_filled({Field::SpouseFirstName, Field::SpouseMiddleName, Field::SpouseLastName, Field::SpouseEmail,
                            Field::SpousePhone, Field::SpouseTaxId})) {
            warn(line, "spouse columns are filled on a business row; they were not used");
        }
    }

    Person make_person(PersonRole role, const NameParts& names, std::string_view email, std::string_view phone,
                       std::string_view tax_id, std::string_view who, std::size_t line) {
        Person person;
        person.role = role;
        person.first_name = clean_person_name(names.first);
        person.middle_name = clean_person_name(names.middle);
        person.last_name = clean_person_name(names.last);
        person.phone = collapse_whitespace(phone);
        if (!assign_email(person, email)) {
            warn(line, "invalid email " + in_quotes(trim(email)) + " for the " + std::string(who) + ": not invitable");
        }
        person.tax_id = check_tax_id(tax_id, std::string(who) + " tax id", line);
        return person;
    }

    std::optional<TaxIdFingerprint> check_tax_id(std::string_view raw, std::string_view what, std::size_t line) {
        if (trim(raw).empty()) return std::nullopt;
        auto fingerprint = tax_ids_.fingerprint(raw);
        if (fingerprint.has_error()) {
            warn(line, std::string(what) + " not used: " + fingerprint.error().message);
            return std::nullopt;
        }
        return std::move(fingerprint).value();
    }

    std::string file_;
    const TabularFormat& format_;
    const HeaderVocabulary& vocabulary_;
    const TabularSettings& settings_;
    const TaxIdHasher& tax_ids_;
    const TakeClient& take_;
    TaxClient client_;  // the row being converted; handed to take_ and then reused
    /// What the truncation check needs to know of the last record seen.
    struct LastRecord {
        std::size_t line = 0;
        std::size_t fields = 0;
        bool blank = false;
        bool header = false;
    };

    ConvertedFile result_;
    ColumnLayout layout_;
    std::optional<FileFault> fault_;
    std::optional<std::size_t> header_line_;
    LastRecord last_;
    bool stopped_at_blank_ = false;
    std::optional<std::size_t> first_after_blank_;
    std::size_t rows_after_blank_ = 0;
    StringIndex<std::size_t> first_line_of_id_;
};

}  // namespace

std::optional<EntityKind> kind_from_client_type(std::string_view client_type) {
    static constexpr std::array<std::string_view, 6> kIndividual = {"individual", "individuals", "ind",
                                                                    "i",          "person",      "household"};
    static constexpr std::array<std::string_view, 28> kBusiness = {"business",
                                                                   "company",
                                                                   "organization",
                                                                   "entity",
                                                                   "corporation",
                                                                   "corp",
                                                                   "ccorporation",
                                                                   "ccorp",
                                                                   "scorporation",
                                                                   "scorp",
                                                                   "partnership",
                                                                   "fiduciary",
                                                                   "trust",
                                                                   "estate",
                                                                   "nonprofit",
                                                                   "nonprofitorganization",
                                                                   "exemptorganization",
                                                                   "taxexempt",
                                                                   "llc",
                                                                   "soleproprietor",
                                                                   "soleproprietorship",
                                                                   "employeeplan",
                                                                   "employeebenefitplan",
                                                                   "c",
                                                                   "s",
                                                                   "p",
                                                                   "f",
                                                                   "r"};
    const std::string key = value_key(client_type);
    if (std::find(kIndividual.begin(), kIndividual.end(), key) != kIndividual.end()) return EntityKind::Individual;
    if (std::find(kBusiness.begin(), kBusiness.end(), key) != kBusiness.end()) return EntityKind::Business;
    return kind_from_return_type(client_type);  // "1040", "1120S", ... used as a client type
}

std::optional<EntityKind> kind_from_return_type(std::string_view return_type) {
    std::string form = value_key(return_type);
    if (form.starts_with("form")) form.erase(0, 4);
    if (form.starts_with("1040") || form == "709") return EntityKind::Individual;
    for (const std::string_view business : {"1120", "1065", "1041", "990", "706", "5500"}) {
        if (form.starts_with(business)) return EntityKind::Business;
    }
    return std::nullopt;
}

bool assign_email(Person& person, std::string_view written) {
    const std::string_view email = trim(written);
    if (email.empty()) {
        person.email_status = EmailStatus::Missing;
        person.email.clear();
        return true;
    }
    if (is_plausible_email(email)) {
        person.email_status = EmailStatus::Usable;
        person.email = normalize_email(email);
        return true;
    }
    person.email_status = EmailStatus::Invalid;
    person.email = mask_tax_ids(email);
    return false;
}

std::string client_id_from_tax_id(const TaxIdFingerprint& tax_id) { return "tin-" + tax_id.keyed_hash.substr(0, 16); }

bool looks_like_scientific_notation(std::string_view value) {
    // digits [. digits] (e|E) [+|-] digits, with a point or a sign: Excel writes "1.2E+07" and
    // "1E+07", while an id such as "12E4" may be genuine.
    const auto digits = [&](std::size_t& at) {
        const std::size_t start = at;
        while (at < value.size() && std::isdigit(static_cast<unsigned char>(value[at])) != 0) ++at;
        return at > start;
    };
    std::size_t at = 0;
    if (!digits(at)) return false;
    bool point = false;
    if (at < value.size() && value[at] == '.') {
        point = true;
        ++at;
        digits(at);
    }
    if (at >= value.size() || (value[at] != 'e' && value[at] != 'E')) return false;
    ++at;
    bool sign = false;
    if (at < value.size() && (value[at] == '+' || value[at] == '-')) {
        sign = true;
        ++at;
    }
    if (!digits(at) || at != value.size()) return false;
    return point || sign;
}

ConvertedFile stream_export(std::string_view bytes, const std::filesystem::path& file, const TabularFormat& format,
                            const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                            const TaxIdHasher& tax_ids, const TakeClient& take) {
    return FileConverter(file, format, vocabulary, settings, tax_ids, take).run(bytes);
}

ConvertedFile convert_export(std::string_view bytes, const std::filesystem::path& file, const TabularFormat& format,
                             const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                             const TaxIdHasher& tax_ids) {
    std::vector<TaxClient> clients;
    const TakeClient keep = [&clients](const TaxClient& client) { clients.push_back(client); };
    ConvertedFile converted = stream_export(bytes, file, format, vocabulary, settings, tax_ids, keep);
    if (!converted.outcome.failed) converted.clients = std::move(clients);
    return converted;
}

ConvertedFile stream_records(const CsvDocument& document, std::string_view bytes, std::string encoding,
                             const std::filesystem::path& source, const TabularFormat& format,
                             const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                             const TaxIdHasher& tax_ids, const TakeClient& take) {
    return FileConverter(source, format, vocabulary, settings, tax_ids, take)
        .run_records(document, bytes, std::move(encoding));
}

ConvertedFile convert_records(const CsvDocument& document, std::string_view bytes, std::string encoding,
                              const std::filesystem::path& source, const TabularFormat& format,
                              const HeaderVocabulary& vocabulary, const TabularSettings& settings,
                              const TaxIdHasher& tax_ids) {
    std::vector<TaxClient> clients;
    const TakeClient keep = [&clients](const TaxClient& client) { clients.push_back(client); };
    ConvertedFile converted =
        stream_records(document, bytes, std::move(encoding), source, format, vocabulary, settings, tax_ids, keep);
    if (!converted.outcome.failed) converted.clients = std::move(clients);
    return converted;
}

}  // namespace taxsync::connectors
