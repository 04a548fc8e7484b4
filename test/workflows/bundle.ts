// The workflow code the workflow tests run: the worker's workflows with its request-id interceptor, bundled
// as the worker bundles them. scripts/test.ts bundles once for every test file and names the file in
// FLEETWAVE_WORKFLOW_BUNDLE; a test file run on its own bundles for itself.
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle, type WorkflowBundleOption } from '@temporalio/worker';

export const WORKFLOW_BUNDLE_ENV = 'FLEETWAVE_WORKFLOW_BUNDLE';

export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [require.resolve('../../workflows/request-id-interceptor')],
    logger: new DefaultLogger('WARN'),
  });
}

let bundle: Promise<WorkflowBundleOption> | undefined;

/** The bundle scripts/test.ts made, or one made here (once per process). */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  const codePath = process.env[WORKFLOW_BUNDLE_ENV];
  bundle ??= codePath ? Promise.resolve({ codePath }) : bundleWorkflows();
  return bundle;
}
