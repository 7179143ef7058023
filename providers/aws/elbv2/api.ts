// The ELBv2 operations the provider uses, as a narrow interface: the real
// one sends SDK commands through a shared client, unit tests pass a fake.
import {
  AddTagsCommand,
  type AddTagsCommandInput,
  CreateListenerCommand,
  type CreateListenerCommandInput,
  type CreateListenerCommandOutput,
  CreateLoadBalancerCommand,
  type CreateLoadBalancerCommandInput,
  type CreateLoadBalancerCommandOutput,
  CreateTargetGroupCommand,
  type CreateTargetGroupCommandInput,
  type CreateTargetGroupCommandOutput,
  DeleteListenerCommand,
  type DeleteListenerCommandInput,
  DeleteLoadBalancerCommand,
  type DeleteLoadBalancerCommandInput,
  DeleteTargetGroupCommand,
  type DeleteTargetGroupCommandInput,
  DescribeListenersCommand,
  type DescribeListenersCommandInput,
  type DescribeListenersCommandOutput,
  DescribeLoadBalancerAttributesCommand,
  type DescribeLoadBalancerAttributesCommandInput,
  type DescribeLoadBalancerAttributesCommandOutput,
  DescribeLoadBalancersCommand,
  type DescribeLoadBalancersCommandInput,
  type DescribeLoadBalancersCommandOutput,
  DescribeTagsCommand,
  type DescribeTagsCommandInput,
  type DescribeTagsCommandOutput,
  DescribeTargetGroupsCommand,
  type DescribeTargetGroupsCommandInput,
  type DescribeTargetGroupsCommandOutput,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
  ModifyLoadBalancerAttributesCommand,
  type ModifyLoadBalancerAttributesCommandInput,
  ModifyTargetGroupCommand,
  type ModifyTargetGroupCommandInput,
  RemoveTagsCommand,
  type RemoveTagsCommandInput,
  SetIpAddressTypeCommand,
  type SetIpAddressTypeCommandInput,
  SetSecurityGroupsCommand,
  type SetSecurityGroupsCommandInput,
  SetSubnetsCommand,
  type SetSubnetsCommandInput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { withoutBlindResend } from "../shared/index.ts";

export interface Elbv2Api {
  describeLoadBalancers(
    input: DescribeLoadBalancersCommandInput,
  ): Promise<DescribeLoadBalancersCommandOutput>;
  describeTags(input: DescribeTagsCommandInput): Promise<DescribeTagsCommandOutput>;
  describeLoadBalancerAttributes(
    input: DescribeLoadBalancerAttributesCommandInput,
  ): Promise<DescribeLoadBalancerAttributesCommandOutput>;
  describeTargetGroups(input: DescribeTargetGroupsCommandInput): Promise<DescribeTargetGroupsCommandOutput>;
  describeListeners(input: DescribeListenersCommandInput): Promise<DescribeListenersCommandOutput>;
  createLoadBalancer(input: CreateLoadBalancerCommandInput): Promise<CreateLoadBalancerCommandOutput>;
  createTargetGroup(input: CreateTargetGroupCommandInput): Promise<CreateTargetGroupCommandOutput>;
  createListener(input: CreateListenerCommandInput): Promise<CreateListenerCommandOutput>;
  setSubnets(input: SetSubnetsCommandInput): Promise<unknown>;
  setSecurityGroups(input: SetSecurityGroupsCommandInput): Promise<unknown>;
  setIpAddressType(input: SetIpAddressTypeCommandInput): Promise<unknown>;
  modifyLoadBalancerAttributes(input: ModifyLoadBalancerAttributesCommandInput): Promise<unknown>;
  modifyTargetGroup(input: ModifyTargetGroupCommandInput): Promise<unknown>;
  modifyListener(input: ModifyListenerCommandInput): Promise<unknown>;
  addTags(input: AddTagsCommandInput): Promise<unknown>;
  removeTags(input: RemoveTagsCommandInput): Promise<unknown>;
  deleteListener(input: DeleteListenerCommandInput): Promise<unknown>;
  deleteLoadBalancer(input: DeleteLoadBalancerCommandInput): Promise<unknown>;
  deleteTargetGroup(input: DeleteTargetGroupCommandInput): Promise<unknown>;
}

/**
 * Elbv2Api over an SDK client (normally the shared one for the connection).
 * CreateLoadBalancer and CreateListener are never re-sent blindly: moto makes
 * a second load balancer with the same name, and a second listener on the
 * same port, where AWS would answer idempotently or refuse. CreateTargetGroup
 * may be: target group names are unique everywhere, and a repeated create is
 * answered with the existing group or DuplicateTargetGroupName, which
 * client.ts resolves by looking the group up.
 */
export function sdkElbv2Api(client: ElasticLoadBalancingV2Client): Elbv2Api {
  return {
    describeLoadBalancers: (i) => client.send(new DescribeLoadBalancersCommand(i)),
    describeTags: (i) => client.send(new DescribeTagsCommand(i)),
    describeLoadBalancerAttributes: (i) => client.send(new DescribeLoadBalancerAttributesCommand(i)),
    describeTargetGroups: (i) => client.send(new DescribeTargetGroupsCommand(i)),
    describeListeners: (i) => client.send(new DescribeListenersCommand(i)),
    createLoadBalancer: (i) => client.send(withoutBlindResend(new CreateLoadBalancerCommand(i))),
    createTargetGroup: (i) => client.send(new CreateTargetGroupCommand(i)),
    createListener: (i) => client.send(withoutBlindResend(new CreateListenerCommand(i))),
    setSubnets: (i) => client.send(new SetSubnetsCommand(i)),
    setSecurityGroups: (i) => client.send(new SetSecurityGroupsCommand(i)),
    setIpAddressType: (i) => client.send(new SetIpAddressTypeCommand(i)),
    modifyLoadBalancerAttributes: (i) => client.send(new ModifyLoadBalancerAttributesCommand(i)),
    modifyTargetGroup: (i) => client.send(new ModifyTargetGroupCommand(i)),
    modifyListener: (i) => client.send(new ModifyListenerCommand(i)),
    addTags: (i) => client.send(new AddTagsCommand(i)),
    removeTags: (i) => client.send(new RemoveTagsCommand(i)),
    deleteListener: (i) => client.send(new DeleteListenerCommand(i)),
    deleteLoadBalancer: (i) => client.send(new DeleteLoadBalancerCommand(i)),
    deleteTargetGroup: (i) => client.send(new DeleteTargetGroupCommand(i)),
  };
}
