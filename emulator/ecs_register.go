package emulator

// registerECS registers every ECS (Ecs, 2014-05-26) action.
func registerECS(e *Emulator) {
	e.register("Ecs", VersionECS, "DescribeInstances", ecsDescribeInstances)
	e.register("Ecs", VersionECS, "DescribeNetworkInterfaces", ecsDescribeNetworkInterfaces)
	e.register("Ecs", VersionECS, "ModifyNetworkInterfaceAttribute", ecsModifyNetworkInterfaceAttribute)
	e.register("Ecs", VersionECS, "CreateSecurityGroup", ecsCreateSecurityGroup)
	e.register("Ecs", VersionECS, "DescribeSecurityGroups", ecsDescribeSecurityGroups)
	e.register("Ecs", VersionECS, "DescribeSecurityGroupAttribute", ecsDescribeSecurityGroupAttribute)
	e.register("Ecs", VersionECS, "AuthorizeSecurityGroup", ecsAuthorizeSecurityGroup)
	e.register("Ecs", VersionECS, "RevokeSecurityGroup", ecsRevokeSecurityGroup)
	e.register("Ecs", VersionECS, "DeleteSecurityGroup", ecsDeleteSecurityGroup)
}
