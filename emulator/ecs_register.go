package emulator

// registerECS registers every ECS (Ecs, 2014-05-26) action.
func registerECS(e *Emulator) {
	e.register("Ecs", VersionECS, "DescribeInstances", ecsDescribeInstances)
	e.register("Ecs", VersionECS, "DescribeNetworkInterfaces", ecsDescribeNetworkInterfaces)
	e.register("Ecs", VersionECS, "ModifyNetworkInterfaceAttribute", ecsModifyNetworkInterfaceAttribute)
}
