package oktasim

import (
	"net/http"
)

// lifecycleHandler returns the handler of /users/{id}/lifecycle/{op} and
// whether the operation is modelled. Known but unmodelled operations answer
// 501 and are listed by Unhandled; unknown ones are 404.
func (s *Server) lifecycleHandler(op string) (handlerFunc, bool) {
	switch op {
	case "activate":
		return s.activateUser, true
	case "deactivate":
		return s.deactivateUser, true
	case "reactivate":
		return s.reactivateUser, true
	case "suspend":
		return s.suspendUser, true
	case "unsuspend":
		return s.unsuspendUser, true
	case "unlock", "expire_password", "expire_password_with_temp_password", "reset_password", "reset_factors":
		return func(http.ResponseWriter, *http.Request, []string, []byte) *apiError { return nil }, false
	}
	return nil, false
}

// lifecycle runs fn on the user named by the path under the lock.
func (s *Server) lifecycle(r *http.Request, key string, fn func(u *user) *apiError) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(key)
	if u == nil {
		return notFound(key, "User")
	}
	s.settle(u)
	return fn(u)
}

func (s *Server) activationToken(base string) map[string]any {
	tok := s.randomString(20)
	return map[string]any{"activationToken": tok, "activationUrl": base + "/tokens/" + tok + "/verify"}
}

// activateUser: only STAGED or DEPROVISIONED users (spec activateUser).
// Users with a password become ACTIVE, others PROVISIONED until they finish
// the activation flow; asynchronously (see beginActivation).
func (s *Server) activateUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	sendEmail, err := parseBool(r.URL.Query(), "sendEmail", true)
	if err != nil {
		return err
	}
	return s.lifecycle(r, p[0], func(u *user) *apiError {
		switch u.status {
		case StatusStaged, StatusDeprovisioned:
		case StatusActive:
			return &apiError{status: http.StatusForbidden, code: codeAlreadyActive,
				summary: "Activation failed because the user is already active"}
		default:
			return wrongStatus()
		}
		to := StatusProvisioned
		if u.password != "" {
			to = StatusActive
		}
		s.beginActivation(u, to, s.now())
		if sendEmail {
			writeJSON(w, http.StatusOK, map[string]any{})
		} else {
			writeJSON(w, http.StatusOK, s.activationToken(s.base(r)))
		}
		return nil
	})
}

// deactivateUser: any status but DEPROVISIONED.
func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	if _, err := parseBool(r.URL.Query(), "sendEmail", false); err != nil {
		return err
	}
	return s.lifecycle(r, p[0], func(u *user) *apiError {
		if u.status == StatusDeprovisioned {
			return wrongStatus()
		}
		s.deactivate(u, s.now())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// reactivateUser: only PROVISIONED or RECOVERY; restarts activation.
func (s *Server) reactivateUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	sendEmail, err := parseBool(r.URL.Query(), "sendEmail", false)
	if err != nil {
		return err
	}
	return s.lifecycle(r, p[0], func(u *user) *apiError {
		if u.status != StatusProvisioned && u.status != StatusRecovery {
			return wrongStatus()
		}
		u.lastUpdated = s.now()
		s.changed(u)
		if sendEmail {
			writeJSON(w, http.StatusOK, map[string]any{})
		} else {
			writeJSON(w, http.StatusOK, s.activationToken(s.base(r)))
		}
		return nil
	})
}

// suspendUser: only ACTIVE; any other status is E0000001 (Okta error-codes
// page cites suspending a non-active user as its E0000001 example).
func (s *Server) suspendUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	return s.lifecycle(r, p[0], func(u *user) *apiError {
		if u.status != StatusActive {
			return validationError("suspend", "Cannot suspend a user that is not active")
		}
		s.setStatus(u, StatusSuspended, s.now())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// unsuspendUser: only SUSPENDED, back to ACTIVE.
func (s *Server) unsuspendUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	return s.lifecycle(r, p[0], func(u *user) *apiError {
		if u.status != StatusSuspended {
			return validationError("unsuspend", "Cannot unsuspend a user that is not suspended")
		}
		s.setStatus(u, StatusActive, s.now())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return nil
	})
}
