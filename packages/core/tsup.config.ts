import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  index: 'src/index.ts',
  'store-kit/index': 'src/store-kit/index.ts',
  'conformance/index': 'src/conformance/index.ts',
});
