#pragma once
// The `transformers` command's verbs: one file per verb (cmd_<verb>.cpp), each a function that
// takes the arguments after the verb, prints its --help, and returns the process exit code.
// main.cpp holds the one table that names them.

namespace transformers::cli {

int cmd_chat(int argc, char** argv);
int cmd_chat_template(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_download(int argc, char** argv);
int cmd_env(int argc, char** argv);
int cmd_forward(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);

}  // namespace transformers::cli
