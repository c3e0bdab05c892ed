import onnx, numpy as np, os, json, shutil, sys
from onnx import helper as h, TensorProto as T, numpy_helper as nh
import sys
root = sys.argv[1] if len(sys.argv) > 1 else '/tmp/ml_ort'
shutil.rmtree(root, ignore_errors=True)
rng = np.random.default_rng(0)
def case(name, node, inputs, outs, opset_ml=1, opset=17):
    d = os.path.join(root, 'test_' + name); os.makedirs(d + '/test_data_set_0')
    ins = []
    for i, (nm, arr) in enumerate(inputs):
        et = {np.dtype('float32'): T.FLOAT, np.dtype('float64'): T.DOUBLE, np.dtype('int64'): T.INT64, np.dtype('int32'): T.INT32, np.dtype('O'): T.STRING}[arr.dtype]
        ins.append(h.make_tensor_value_info(nm, et, list(arr.shape)))
        t = nh.from_array(arr, nm)
        open(f'{d}/test_data_set_0/input_{i}.pb', 'wb').write(t.SerializeToString())
    g = h.make_graph([node], name, ins, [h.make_tensor_value_info(o, et_, None) for o, et_ in outs])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset), h.make_opsetid('ai.onnx.ml', opset_ml)])
    m.ir_version = 8
    onnx.save(m, d + '/model.onnx')
    meta = {'inputs': [[nm, str(arr.dtype), list(arr.shape), [str(x) if arr.dtype == object else (('NaN' if np.isnan(x) else float(x))) if arr.dtype.kind == 'f' else int(x) for x in arr.ravel()]] for nm, arr in inputs], 'outputs': [o for o, _ in outs]}
    json.dump(meta, open(d + '/meta.json', 'w'))
X = rng.normal(size=(4, 3)).astype(np.float32)
Xd = X.astype(np.float64)
Xi = rng.integers(-5, 5, size=(4, 3)).astype(np.int64)
ml = lambda op, ins, outs, **kw: h.make_node(op, ins, outs, domain='ai.onnx.ml', **kw)
case('binarizer_f', ml('Binarizer', ['x'], ['y'], threshold=0.5), [('x', X)], [('y', T.FLOAT)])
case('binarizer_double', ml('Binarizer', ['x'], ['y'], threshold=-0.2), [('x', Xd)], [('y', T.DOUBLE)])
for norm in ['MAX', 'L1', 'L2']:
    case('normalizer_' + norm, ml('Normalizer', ['x'], ['y'], norm=norm), [('x', X)], [('y', T.FLOAT)])
    case('normalizer_pos_' + norm, ml('Normalizer', ['x'], ['y'], norm=norm), [('x', np.abs(X))], [('y', T.FLOAT)])
case('scaler', ml('Scaler', ['x'], ['y'], offset=[0.1, -0.2, 0.3], scale=[2.0, 0.5, -1.0]), [('x', X)], [('y', T.FLOAT)])
case('scaler_one', ml('Scaler', ['x'], ['y'], offset=[0.5], scale=[3.0]), [('x', Xd)], [('y', T.FLOAT)])
Xn = X.copy(); Xn[1, 1] = np.nan; Xn[2, 0] = np.nan
case('imputer_nan', ml('Imputer', ['x'], ['y'], imputed_value_floats=[9.0, 8.0, 7.0], replaced_value_float=float('nan')), [('x', Xn)], [('y', T.FLOAT)])
case('imputer_int', ml('Imputer', ['x'], ['y'], imputed_value_int64s=[99], replaced_value_int64=1), [('x', Xi)], [('y', T.INT64)])
case('onehot_int', ml('OneHotEncoder', ['x'], ['y'], cats_int64s=[1, 3, -2, 0]), [('x', Xi)], [('y', T.FLOAT)])
S = np.array([['a', 'bb', 'c'], ['x', 'a', '']], dtype=object)
case('onehot_str', ml('OneHotEncoder', ['x'], ['y'], cats_strings=['a', 'c', 'x']), [('x', S)], [('y', T.FLOAT)])
case('catmap_s2i', ml('CategoryMapper', ['x'], ['y'], cats_strings=['a', 'bb', 'c'], cats_int64s=[5, 6, 7], default_int64=-9), [('x', S)], [('y', T.INT64)])
case('catmap_i2s', ml('CategoryMapper', ['x'], ['y'], cats_strings=['a', 'bb', 'c'], cats_int64s=[1, -2, 3], default_string='zz'), [('x', Xi)], [('y', T.STRING)])
case('afe_2d', ml('ArrayFeatureExtractor', ['x', 'i'], ['y']), [('x', X), ('i', np.array([2, 0, 2], np.int64))], [('y', T.FLOAT)])
case('afe_1d_str', ml('ArrayFeatureExtractor', ['x', 'i'], ['y']), [('x', np.array(['p', 'q', 'r'], dtype=object)), ('i', np.array([1], np.int64))], [('y', T.STRING)])
case('featvec', ml('FeatureVectorizer', ['a', 'b'], ['y'], inputdimensions=[2, 4]), [('a', X), ('b', X[:, :2].copy())], [('y', T.FLOAT)])
case('le1_s2i', ml('LabelEncoder', ['x'], ['y'], classes_strings=['a', 'x', 'c'], default_int64=42), [('x', S)], [('y', T.INT64)])
case('le2_f2s', ml('LabelEncoder', ['x'], ['y'], keys_floats=[float(X[0, 0]), float(X[1, 1]), -0.0], values_strings=['u', 'v', 'w'], default_string='?'), [('x', X)], [('y', T.STRING)], opset_ml=2)
case('le2_i2f', ml('LabelEncoder', ['x'], ['y'], keys_int64s=[1, 2, 3], values_floats=[0.5, 1.5, 2.5], default_float=7.0), [('x', Xi)], [('y', T.FLOAT)], opset_ml=2)
F = 3
case('linreg', ml('LinearRegressor', ['x'], ['y'], coefficients=list(rng.normal(size=2 * F)), intercepts=[0.5, -1.0], targets=2), [('x', X)], [('y', T.FLOAT)])
case('linreg_int', ml('LinearRegressor', ['x'], ['y'], coefficients=[0.3, -0.2, 0.1], intercepts=[2.0]), [('x', Xi)], [('y', T.FLOAT)])
case('linreg_softmax', ml('LinearRegressor', ['x'], ['y'], coefficients=list(rng.normal(size=2 * F)), intercepts=[0.5, -1.0], targets=2, post_transform='SOFTMAX'), [('x', X)], [('y', T.FLOAT)])
for pt in ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT']:
    xx = X if pt != 'PROBIT' else (np.abs(X) / 10).astype(np.float32)
    case('linclass_' + pt, ml('LinearClassifier', ['x'], ['y', 'z'], coefficients=list(rng.normal(size=3 * F) / (10 if pt == 'PROBIT' else 1)), intercepts=[0.1, 0.2, 0.05 if pt == 'PROBIT' else -0.3], classlabels_ints=[7, 8, 9], post_transform=pt), [('x', xx)], [('y', T.INT64), ('z', T.FLOAT)])
case('linclass_str', ml('LinearClassifier', ['x'], ['y', 'z'], coefficients=list(rng.normal(size=3 * F)), intercepts=[0.1, 0.2, -0.3], classlabels_strings=['a', 'b', 'c']), [('x', Xd)], [('y', T.STRING), ('z', T.FLOAT)])
for k, kp in [('LINEAR', []), ('POLY', [0.5, 1.0, 3]), ('RBF', [0.3, 0, 0]), ('SIGMOID', [0.2, 0.1, 0])]:
    case('svmreg_' + k, ml('SVMRegressor', ['x'], ['y'], kernel_type=k, kernel_params=kp or [0.0, 0.0, 0.0], n_supports=2, support_vectors=list(rng.normal(size=2 * F)), coefficients=[0.7, -0.4], rho=[0.25]), [('x', X)], [('y', T.FLOAT)])
case('svmreg_linear_mode', ml('SVMRegressor', ['x'], ['y'], coefficients=[0.7, -0.4, 0.1], rho=[0.25]), [('x', X)], [('y', T.FLOAT)])
case('svmreg_oneclass', ml('SVMRegressor', ['x'], ['y'], kernel_type='RBF', kernel_params=[0.3, 0, 0], n_supports=2, support_vectors=list(rng.normal(size=2 * F)), coefficients=[0.7, -0.4], rho=[-0.25], one_class=1), [('x', X)], [('y', T.FLOAT)])
# tree ensembles (old): two trees
tree = dict(nodes_treeids=[0, 0, 0, 1, 1, 1, 1, 1], nodes_nodeids=[0, 1, 2, 0, 1, 2, 3, 4],
            nodes_featureids=[0, 0, 0, 1, 2, 0, 0, 0], nodes_modes=['BRANCH_LEQ', 'LEAF', 'LEAF', 'BRANCH_GT', 'BRANCH_LT', 'LEAF', 'LEAF', 'LEAF'],
            nodes_values=[0.1, 0, 0, -0.3, 0.4, 0, 0, 0], nodes_truenodeids=[1, 0, 0, 1, 3, 0, 0, 0], nodes_falsenodeids=[2, 0, 0, 2, 4, 0, 0, 0],
            nodes_missing_value_tracks_true=[1, 0, 0, 0, 0, 0, 0, 0])
for agg in ['SUM', 'AVERAGE', 'MIN', 'MAX']:
    case('tree_reg_' + agg, ml('TreeEnsembleRegressor', ['x'], ['y'], n_targets=2, aggregate_function=agg, target_treeids=[0, 0, 1, 1, 1, 1], target_nodeids=[1, 2, 2, 3, 4, 4], target_ids=[0, 1, 0, 1, 0, 1], target_weights=[1.5, -2.0, 0.25, 3.0, 0.5, -1.0], base_values=[0.1, 0.2], **tree), [('x', Xn)], [('y', T.FLOAT)])
for pt in ['NONE', 'SOFTMAX', 'LOGISTIC']:
    case('tree_cls_' + pt, ml('TreeEnsembleClassifier', ['x'], ['y', 'z'], class_treeids=[0, 0, 1, 1, 1, 1], class_nodeids=[1, 2, 2, 3, 4, 4], class_ids=[0, 1, 2, 1, 0, 2], class_weights=[1.5, 2.0, 0.25, 3.0, 0.5, 1.0], classlabels_int64s=[4, 5, 6], post_transform=pt, **tree), [('x', Xd)], [('y', T.INT64), ('z', T.FLOAT)])
# SVMClassifier
F = 3
X6 = rng.normal(size=(6, 3)).astype(np.float32)
vpc = [2, 1, 2]; nv = 5
sv = list(rng.normal(size=nv * F)); co = list(rng.normal(size=2 * nv)); rho = [0.1, -0.2, 0.3]
for k, kp in [('LINEAR', [0.0, 0.0, 0.0]), ('POLY', [0.5, 1.0, 2]), ('RBF', [0.3, 0, 0]), ('SIGMOID', [0.2, 0.1, 0])]:
    case('svc3_' + k, ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type=k, kernel_params=kp, vectors_per_class=vpc, support_vectors=sv, coefficients=co, rho=rho, classlabels_ints=[1, 2, 3]), [('x', X6)], [('y', T.INT64), ('z', T.FLOAT)])
case('svc3_proba', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='RBF', kernel_params=[0.3, 0, 0], vectors_per_class=vpc, support_vectors=sv, coefficients=co, rho=rho, prob_a=[-1.5, -0.5, -2.0], prob_b=[0.1, -0.2, 0.05], classlabels_strings=['a', 'b', 'c']), [('x', X6)], [('y', T.STRING), ('z', T.FLOAT)])
case('svc3_softmax', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='RBF', kernel_params=[0.3, 0, 0], vectors_per_class=vpc, support_vectors=sv, coefficients=co, rho=rho, classlabels_ints=[1, 2, 3], post_transform='SOFTMAX'), [('x', X6)], [('y', T.INT64), ('z', T.FLOAT)])
case('svc2', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='RBF', kernel_params=[0.3, 0, 0], vectors_per_class=[2, 3], support_vectors=sv, coefficients=co[:5], rho=[0.05], classlabels_ints=[0, 1]), [('x', X6)], [('y', T.INT64), ('z', T.FLOAT)])
case('svc2_proba', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='RBF', kernel_params=[0.3, 0, 0], vectors_per_class=[2, 3], support_vectors=sv, coefficients=co[:5], rho=[0.05], prob_a=[-1.2], prob_b=[0.3], classlabels_ints=[0, 1]), [('x', X6)], [('y', T.INT64), ('z', T.FLOAT)])
case('svclin3', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='LINEAR', kernel_params=[0.0, 0.0, 0.0], coefficients=list(rng.normal(size=3 * F)), rho=[0.2], classlabels_ints=[4, 5, 6]), [('x', X6)], [('y', T.INT64), ('z', T.FLOAT)])
case('svclin2', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='LINEAR', kernel_params=[0.0, 0.0, 0.0], coefficients=list(rng.normal(size=2 * F)), rho=[0.2], classlabels_ints=[4, 5]), [('x', X6)], [('y', T.INT64), ('z', T.FLOAT)])
case('svclin2_pos', ml('SVMClassifier', ['x'], ['y', 'z'], kernel_type='LINEAR', kernel_params=[0.0, 0.0, 0.0], coefficients=list(np.abs(rng.normal(size=2 * F))), rho=[-0.4], classlabels_ints=[4, 5]), [('x', np.abs(X6))], [('y', T.INT64), ('z', T.FLOAT)])
