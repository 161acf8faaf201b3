package bot

import "context"

// Stubs: replaced by the nudge implementation (issue 5).

func (e *Engine) cmdNudgeAt(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Nudges are not available yet.")
}
func (e *Engine) cmdNudgeOff(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Nudges are not available yet.")
}
func (e *Engine) cmdNudgeStatus(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Nudges are not available yet.")
}
