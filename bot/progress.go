package bot

import "context"

func (e *Engine) cmdHelp(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdNext(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdStart(ctx context.Context, req *Request) (*Reply, error)       { return nil, nil }
func (e *Engine) cmdDone(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdSkip(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdUndo(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdProgress(ctx context.Context, req *Request) (*Reply, error)    { return nil, nil }
func (e *Engine) cmdRoadmap(ctx context.Context, req *Request) (*Reply, error)     { return nil, nil }
func (e *Engine) cmdTopic(ctx context.Context, req *Request) (*Reply, error)       { return nil, nil }
func (e *Engine) cmdPick(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdNote(ctx context.Context, req *Request) (*Reply, error)        { return nil, nil }
func (e *Engine) cmdStreak(ctx context.Context, req *Request) (*Reply, error)      { return nil, nil }
func (e *Engine) cmdLeaderboard(ctx context.Context, req *Request) (*Reply, error) { return nil, nil }
func (e *Engine) cmdExport(ctx context.Context, req *Request) (*Reply, error)      { return nil, nil }
func (e *Engine) cmdDelete(ctx context.Context, req *Request) (*Reply, error)      { return nil, nil }
