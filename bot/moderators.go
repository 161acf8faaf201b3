package bot

import "context"

func (e *Engine) cmdModeratorsList(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdModeratorsAdd(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdModeratorsRemove(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}
