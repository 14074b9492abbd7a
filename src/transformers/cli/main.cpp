// transformers: the command. Dispatches to one verb; every verb prints --help, returns 0 on
// success, and non-zero with one clear line on stderr otherwise.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "transformers/cli/commands.h"

namespace {

struct Verb {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

// The one table of verbs (keep sorted by name).
constexpr Verb kVerbs[] = {
    {"bench", transformers::cli::cmd_bench,
     "prefill/decode speed and memory (a model, or --config for random weights)"},
    {"chat", transformers::cli::cmd_chat,
     "chat with a model (its chat template, streamed replies, /clear /save /exit)"},
    {"chat-template", transformers::cli::cmd_chat_template,
     "render JSONL conversations with a model's chat template"},
    {"download", transformers::cli::cmd_download,
     "download a Hub repo into the Hugging Face cache, print its folder"},
    {"env", transformers::cli::cmd_env,
     "print version, build flags, SIMD level, BLAS, threads, cache dir"},
    {"forward", transformers::cli::cmd_forward, "run a model on named inputs, write its outputs"},
    {"generate", transformers::cli::cmd_generate,
     "generate token ids from a prompt (greedy, sampling, beams)"},
    {"run", transformers::cli::cmd_run,
     "run a pipeline on one input (text-generation: prompt -> text)"},
    {"tokenize", transformers::cli::cmd_tokenize,
     "encode + decode JSONL texts with a model's tokenizer (ids, tokens, offsets)"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: transformers <verb> [options]\n\nverbs:\n");
  for (const Verb& v : kVerbs) std::fprintf(out, "  %-16s %s\n", v.name, v.summary);
  std::fprintf(out, "\n`transformers <verb> --help` describes a verb.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    print_usage(stdout);
    return 0;
  }
  if (verb == "--version") {
    std::printf("transformers.cpp %s\n", TFM_VERSION);
    return 0;
  }
  for (const Verb& v : kVerbs) {
    if (verb != v.name) continue;
    try {
      return v.run(argc - 1, argv + 1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "error: unknown verb '%s' (see `transformers --help`)\n", argv[1]);
  return 2;
}
