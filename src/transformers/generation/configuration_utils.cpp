#include "transformers/generation/configuration_utils.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/io/json.h"

namespace transformers::generation {

namespace {
// The cache_implementation values generate() builds (HF names). HF's offloaded caches keep
// layers in CPU memory while others run on the GPU; on the CPU they are the caches they wrap.
constexpr const char* kCacheImplementations[] = {"dynamic", "static", "sliding_window", "hybrid", "offloaded",
                                                 "offloaded_static"};
}  // namespace

std::string cache_storage(const std::string& cache_implementation) {
  if (cache_implementation == "offloaded") return "dynamic";
  if (cache_implementation == "offloaded_static") return "static";
  return cache_implementation;
}

std::string EarlyStopping::str() const {
  return value == kTrue ? "true" : value == kFalse ? "false" : "never";
}

namespace {
// true, false or "never"; nullopt for anything else.
std::optional<EarlyStopping> early_stopping_from(const nlohmann::json& j) {
  if (j.is_boolean()) return EarlyStopping(j.get<bool>());
  if (j.is_string() && j.get<std::string>() == "never") return EarlyStopping::never();
  return std::nullopt;
}
constexpr const char* kEarlyStoppingValues = "must be true, false or \"never\", got ";
}  // namespace

void from_json(const nlohmann::json& j, EarlyStopping& e) {
  const std::optional<EarlyStopping> value = early_stopping_from(j);
  if (!value) throw Error(std::string("[generate] early_stopping ") + kEarlyStoppingValues + j.dump());
  e = *value;
}

GenerationConfig GenerationConfig::from_model_dir(const std::filesystem::path& model_dir,
                                                  const models::PretrainedConfig& model_config) {
  GenerationConfig g;
  g.pad_token_id = model_config.pad_token_id;
  g.bos_token_id = model_config.bos_token_id;
  g.eos_token_id = model_config.eos_token_id;
  std::filesystem::path path = model_dir / "generation_config.json";
  if (!std::filesystem::exists(path)) return g;
  nlohmann::json j = models::read_config_json(path);
  models::ConfigReader r(j, path.string());
  g.max_length = r.get_int("max_length", g.max_length);
  if (r.has("max_new_tokens")) g.max_new_tokens = r.get_int("max_new_tokens", 0);
  g.min_new_tokens = r.get_int("min_new_tokens", g.min_new_tokens);
  g.do_sample = r.get_bool("do_sample", g.do_sample);
  g.num_beams = r.get_int("num_beams", g.num_beams);
  g.temperature = r.get_double("temperature", g.temperature);
  g.top_k = r.get_int("top_k", g.top_k);
  g.top_p = r.get_double("top_p", g.top_p);
  g.repetition_penalty = r.get_double("repetition_penalty", g.repetition_penalty);
  g.length_penalty = r.get_double("length_penalty", g.length_penalty);
  g.min_p = r.get_optional_double("min_p");
  if (r.has("stop_strings")) {
    const nlohmann::json& ss = j.at("stop_strings");
    if (ss.is_string()) g.stop_strings = {ss.get<std::string>()};
    else if (ss.is_array())
      for (const nlohmann::json& e : ss) {
        if (!e.is_string()) r.fail("stop_strings", "must be a string or a list of strings");
        g.stop_strings.push_back(e.get<std::string>());
      }
    else r.fail("stop_strings", "must be a string or a list of strings");
  }
  g.typical_p = r.get_double("typical_p", g.typical_p);
  g.epsilon_cutoff = r.get_double("epsilon_cutoff", g.epsilon_cutoff);
  g.eta_cutoff = r.get_double("eta_cutoff", g.eta_cutoff);
  g.min_length = r.get_int("min_length", g.min_length);
  g.no_repeat_ngram_size = r.get_int("no_repeat_ngram_size", g.no_repeat_ngram_size);
  g.suppress_tokens = r.get_int_list("suppress_tokens");
  g.begin_suppress_tokens = r.get_int_list("begin_suppress_tokens");
  g.forced_bos_token_id = r.get_optional_int("forced_bos_token_id");
  g.forced_eos_token_id = r.get_optional_int("forced_eos_token_id");
  if (r.has("bad_words_ids")) {
    const nlohmann::json& bw = j.at("bad_words_ids");
    if (!bw.is_array()) r.fail("bad_words_ids", "must be a list of lists of token ids");
    for (const nlohmann::json& seq : bw) {
      if (!seq.is_array() || seq.empty()) r.fail("bad_words_ids", "must be a list of non-empty lists of token ids");
      std::vector<int64_t> ids;
      for (const nlohmann::json& t : seq) {
        if (!t.is_number_integer()) r.fail("bad_words_ids", "must hold integers");
        ids.push_back(t.get<int64_t>());
      }
      g.bad_words_ids.push_back(std::move(ids));
    }
  }
  if (r.has("early_stopping")) {
    const std::optional<EarlyStopping> value = early_stopping_from(j.at("early_stopping"));
    if (!value) r.fail("early_stopping", kEarlyStoppingValues + j.at("early_stopping").dump());
    g.early_stopping = *value;
  }
  g.num_return_sequences = r.get_int("num_return_sequences", g.num_return_sequences);
  g.use_cache = r.get_bool("use_cache", g.use_cache);
  g.output_scores = r.get_bool("output_scores", g.output_scores);
  g.output_logits = r.get_bool("output_logits", g.output_logits);
  if (r.has("cache_implementation")) g.cache_implementation = r.get_string("cache_implementation", "");
  g.prompt_lookup_num_tokens = r.get_optional_int("prompt_lookup_num_tokens");
  g.max_matching_ngram_size = r.get_int("max_matching_ngram_size", g.max_matching_ngram_size);
  g.num_assistant_tokens = r.get_int("num_assistant_tokens", g.num_assistant_tokens);
  if (r.has("pad_token_id")) g.pad_token_id = r.get_int("pad_token_id", 0);
  if (r.has("bos_token_id")) g.bos_token_id = r.get_int("bos_token_id", 0);
  if (r.has("eos_token_id")) g.eos_token_id = r.get_int_list("eos_token_id");
  return g;
}

void GenerationConfig::validate() const {
  TFM_CHECK(num_beams >= 1, "[generate] num_beams must be >= 1, got ", num_beams);
  TFM_CHECK((num_return_sequences >= 1 && num_return_sequences <= num_beams) || (do_sample && num_beams == 1),
            "[generate] num_return_sequences (", num_return_sequences, ") must be between 1 and num_beams (",
            num_beams, ")");
  TFM_CHECK(!do_sample || temperature > 0, "[generate] temperature must be > 0, got ", temperature);
  TFM_CHECK(top_p > 0 && top_p <= 1, "[generate] top_p must be in (0, 1], got ", top_p);
  TFM_CHECK(top_k >= 0, "[generate] top_k must be >= 0, got ", top_k);
  TFM_CHECK(repetition_penalty > 0, "[generate] repetition_penalty must be > 0, got ", repetition_penalty);
  TFM_CHECK(!max_new_tokens || *max_new_tokens > 0, "[generate] max_new_tokens must be greater than 0, got ",
            max_new_tokens.value_or(0));
  TFM_CHECK(!min_p || (*min_p >= 0 && *min_p <= 1), "[generate] min_p must be in [0, 1], got ", *min_p);
  TFM_CHECK(typical_p > 0 && typical_p <= 1, "[generate] typical_p must be in (0, 1], got ", typical_p);
  TFM_CHECK(epsilon_cutoff >= 0 && epsilon_cutoff < 1,
            "[generate] epsilon_cutoff must be in [0, 1), got ", epsilon_cutoff);
  TFM_CHECK(eta_cutoff >= 0 && eta_cutoff < 1, "[generate] eta_cutoff must be in [0, 1), got ", eta_cutoff);
  TFM_CHECK(no_repeat_ngram_size >= 0, "[generate] no_repeat_ngram_size must be >= 0");
  TFM_CHECK(!prompt_lookup_num_tokens || *prompt_lookup_num_tokens > 0,
            "[generate] prompt_lookup_num_tokens must be > 0");
  TFM_CHECK(max_matching_ngram_size > 0, "[generate] max_matching_ngram_size must be > 0");
  TFM_CHECK(num_assistant_tokens > 0, "[generate] num_assistant_tokens must be > 0");
  for (const std::string& s : stop_strings) TFM_CHECK(!s.empty(), "[generate] stop_strings may not be empty strings");
  if (cache_implementation) {
    std::string supported;
    bool known = false;
    for (const char* name : kCacheImplementations) {
      known = known || *cache_implementation == name;
      supported += std::string(supported.empty() ? "" : ", ") + "\"" + name + "\"";
    }
    TFM_CHECK(known, "[generate] cache_implementation \"", *cache_implementation, "\" is not supported; supported: ",
              supported, " (or unset for the model's default cache)");
  }
}

}  // namespace transformers::generation
