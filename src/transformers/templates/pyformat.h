#pragma once
// Python string formatting as templates use it: `"%s=%d" % (k, v)`, the `format` filter, and
// str.format ("{} {name}"). Covers the conversions s r d i f e g x o c and the format-spec
// mini-language's fill, align, sign, width, grouping ',' and precision.
#include <string>

#include "transformers/templates/value.h"

namespace transformers::templates {

std::string percent_format(Renderer& r, const std::string& fmt, const Value& args);
std::string str_format(Renderer& r, const std::string& fmt, const Args& args);

}  // namespace transformers::templates
