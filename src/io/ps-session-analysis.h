/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-session-analysis.h: a session's analysis side — PsAnalysisParams and
 * the provenance (PsAnalysisSource) of `porescope-cli run` and the GUI's
 * export. Kept apart from ps-session.h so the application can include
 * that next to its own PsSeed. */
#pragma once

#include "ps-analysis-io.h"
#include "ps-analysis.h"
#include "ps-session.h"

G_BEGIN_DECLS

/* Analysis parameters from the session (arrays borrowed from @session;
 * n_threads = 0). */
void ps_session_to_params (const PsSession *session, PsAnalysisParams *params);
/* Set the analysis fields of @session from @params (arrays copied). */
void ps_session_set_params (PsSession *session, const PsAnalysisParams *params);

/* Provenance for ps_analysis_write(): the canonical volume path and the
 * reconstruction. Strings borrowed from @session. */
void ps_session_to_source (const PsSession *session, PsAnalysisSource *source);

G_END_DECLS
