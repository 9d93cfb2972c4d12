package emulator

type slbState struct{}

func newSLBState() *slbState { return &slbState{} }

func registerSLB(e *Emulator) {}

func (s *slbState) dump() any { return nil }
