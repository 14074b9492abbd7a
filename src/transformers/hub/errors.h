#pragma once
// Hub errors: one Error subclass with a kind, so callers (and tests) can tell "no such repo" from
// "no network" without parsing messages.
#include <string>

#include "transformers/core/error.h"

namespace transformers::hub {

enum class HubErrorKind {
  InvalidModelId,      // neither a local folder nor a valid repo id
  RepositoryNotFound,  // 404 RepoNotFound, or 401 (private repo without a valid token)
  GatedRepo,           // 403 GatedRepo: access must be requested on the Hub
  RevisionNotFound,    // 404 RevisionNotFound
  EntryNotFound,       // 404 EntryNotFound: the file is not in the repo at that revision
  Http,                // any other HTTP error status
  Network,             // connection refused, DNS, timeout, interrupted transfer
  NotInCache,          // offline (HF_HUB_OFFLINE=1 / local_files_only) and not cached
  Consistency,         // downloaded size differs from the announced one, bad server answer
};

class HubError : public Error {
 public:
  HubError(HubErrorKind kind, const std::string& message) : Error(message), kind_(kind) {}
  HubErrorKind kind() const { return kind_; }

 private:
  HubErrorKind kind_;
};

}  // namespace transformers::hub
