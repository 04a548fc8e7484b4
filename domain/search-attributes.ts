// The custom search attributes the engine keeps current, so operators can find operations in the Web UI.
import { defineSearchAttributeKey } from '@temporalio/common';

export const FLEET_OPERATION_NAME = defineSearchAttributeKey('FleetOperationName', 'KEYWORD');
export const FLEET_ACTION = defineSearchAttributeKey('FleetAction', 'KEYWORD');
export const FLEET_TARGET_VERSION = defineSearchAttributeKey('FleetTargetVersion', 'KEYWORD');
export const FLEET_STATE = defineSearchAttributeKey('FleetState', 'KEYWORD');
export const FLEET_OPERATION_ID = defineSearchAttributeKey('FleetOperationId', 'KEYWORD');
export const FLEET_WAVE = defineSearchAttributeKey('FleetWave', 'INT');
