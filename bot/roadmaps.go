package bot

import "context"

func (e *Engine) cmdRoadmapList(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdRoadmapFollow(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdRoadmapAdd(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdRoadmapApply(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdRoadmapDefault(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdRoadmapExport(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdRoadmapRemove(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

// MaxRoadmapFile bounds a roadmap file a moderator uploads (256 KB, far
// beyond a 500-topic roadmap). Adapters stop downloading past it; the engine
// refuses more.
const MaxRoadmapFile = 256 << 10
