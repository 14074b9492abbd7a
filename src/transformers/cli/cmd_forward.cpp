// transformers forward MODEL --inputs IN.safetensors --output OUT.safetensors
#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/autograd.h"
#include "transformers/models/auto/modeling_auto.h"

namespace transformers::cli {

int cmd_forward(int argc, char** argv) {
  CLI::App app{"Run the model's architectures[0] on named inputs and write every output under its "
               "Hugging Face name (logits, last_hidden_state, hidden_states.N ...).",
               "transformers forward"};
  std::string model, inputs, output, dtype = "float32", revision = "main";
  app.add_option("model", model, "model folder or Hub id")->required();
  app.add_option("--inputs", inputs, "safetensors file of forward() arguments (input_ids, attention_mask ...)")
      ->required();
  app.add_option("--output", output, "safetensors file to write the outputs to")->required();
  app.add_option("--dtype", dtype, "weight/compute dtype: float32, float16, bfloat16");
  app.add_option("--revision", revision, "Hub revision (branch, tag or commit)");
  CLI11_PARSE(app, argc, argv);

  models::LoadOptions options;
  options.dtype = parse_dtype_flag(dtype);
  autograd::NoGradGuard no_grad;
  auto net = models::AutoModel::from_pretrained(resolve_model_dir(model, revision), options);
  models::NamedTensors outputs = net->forward_named(read_tensors(inputs), /*output_hidden_states=*/true);
  for (auto& [name, t] : outputs) t = t.to(DType::Float32);
  write_tensors(output, outputs);
  return 0;
}

}  // namespace transformers::cli
