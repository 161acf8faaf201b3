package bot

import "context"

// Stubs: replaced by the challenge implementation (issue 5).

func (e *Engine) cmdChallengeSubmit(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Challenges are not available yet.")
}
func (e *Engine) cmdChallengeBoard(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Challenges are not available yet.")
}
func (e *Engine) cmdChallengeSchedule(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Challenges are not available yet.")
}
func (e *Engine) cmdChallengePost(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Challenges are not available yet.")
}
func (e *Engine) cmdChallengeStop(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Challenges are not available yet.")
}
func (e *Engine) cmdChallengeList(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Conflict, "Challenges are not available yet.")
}
