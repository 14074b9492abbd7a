#pragma once
// The Auto classes: config.json's model_type / architectures[0] -> the model class, through one
// explicit table (modeling_auto.cpp), as Hugging Face's modeling_auto.py maps names to classes.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "transformers/models/modeling_utils.h"

namespace transformers::models {

struct AutoModel {
  // Loads architectures[0] of the folder's config.json (any task head).
  static std::unique_ptr<PreTrainedModel> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});
  // Hugging Face's AutoModel.from_pretrained: the base model of the config's model_type
  // (BertModel for a BertForMaskedLM folder), leaving the task head's weights unused, for
  // feature extraction. Model types without a base class in the table load architectures[0].
  static std::unique_ptr<PreTrainedModel> base_model_from_pretrained(const std::filesystem::path& model_dir,
                                                                     const LoadOptions& options = {});
};

struct AutoModelForCausalLM {
  static std::unique_ptr<CausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                   const LoadOptions& options = {});
};

// The class names the registry knows (for error messages and `transformers env`).
std::vector<std::string> supported_architectures();

}  // namespace transformers::models
