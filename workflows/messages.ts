// Every signal, query and update of the engine, defined once; the API's Temporal client and the tests send these.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ActionOutcome,
  ActorRef,
  ApproveWaveInput,
  ClusterRef,
  ClusterWork,
  GuardTripped,
  LaneBudgetSpent,
  OperationState,
  OperatorActionInput,
  SetMaxParallelInput,
} from '../domain/workflow-contracts';
import type {
  AppendWaveInput,
  AppendWaveResult,
  EditWaveInput,
  EditWaveResult,
  MoveClusterInput,
  MoveClusterResult,
} from '../domain/plan-edits';

// ---- operation (parent): the operator's controls, also sent directly from the Web UI or the temporal CLI ----
export const pauseSignal = defineSignal<[ActorRef]>('pause');
export const resumeSignal = defineSignal<[ActorRef]>('resume');
export const cancelSignal = defineSignal<[ActorRef]>('cancel');
export const approveWaveSignal = defineSignal<[ApproveWaveInput]>('approveWave');
export const retryClusterSignal = defineSignal<[ClusterRef]>('retryCluster');
export const skipClusterSignal = defineSignal<[ClusterRef]>('skipCluster');
export const statusQuery = defineQuery<OperationState>('status');
/** The REST path's operator action: the same rules as the signals, with the workflow's answer. */
export const operatorActionUpdate = defineUpdate<ActionOutcome, [OperatorActionInput]>('operatorAction');
export const setMaxParallelUpdate = defineUpdate<{ maxParallel: number }, [SetMaxParallelInput]>('setMaxParallel');
// Live plan edits: validated over the workflow's state (a refused one leaves no event), written and audited.
export const editWaveUpdate = defineUpdate<EditWaveResult, [EditWaveInput]>('editWave');
export const moveClusterUpdate = defineUpdate<MoveClusterResult, [MoveClusterInput]>('moveCluster');
export const appendWaveUpdate = defineUpdate<AppendWaveResult, [AppendWaveInput]>('appendWave');
/** From a running wave: a fleet limit's hourly failures are over it, so the operation pauses `guard:<limit>`. */
export const guardTrippedSignal = defineSignal<[GuardTripped]>('guardTripped');

// ---- wave (child): driven by the parent only ----
export const wavePauseSignal = defineSignal<[]>('wavePause');
export const waveResumeSignal = defineSignal<[]>('waveResume');
export const waveCancelSignal = defineSignal<[]>('waveCancel');
export const waveRetrySignal = defineSignal<[ClusterWork]>('waveRetry');
export const waveSkipSignal = defineSignal<[{ clusterId: string }]>('waveSkip');
export const waveSetMaxParallelSignal = defineSignal<[{ maxParallel: number }]>('waveSetMaxParallel');
export const waveSetMaxFailuresSignal = defineSignal<[{ maxFailures: number }]>('waveSetMaxFailures');

// ---- lanes of a wave: a lane tells its wave that the wave's failures spent a budget; the wave tells the others ----
export const laneBudgetSpentSignal = defineSignal<[LaneBudgetSpent]>('laneBudgetSpent');
export const waveBudgetSpentSignal = defineSignal<[{ budget: LaneBudgetSpent['budget'] }]>('waveBudgetSpent');
