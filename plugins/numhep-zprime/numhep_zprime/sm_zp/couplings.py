# The couplings of numhep's test model.
from object_library import all_couplings, Coupling

from function_library import complexconjugate, re, im, csc, sec, acsc, asec, cot


GC_1 = Coupling(name = 'GC_1',
                value = '-(ee*complex(0,1))/3.',
                order = {'QED': 1})

GC_2 = Coupling(name = 'GC_2',
                value = '(2*ee*complex(0,1))/3.',
                order = {'QED': 1})

GC_3 = Coupling(name = 'GC_3',
                value = '-(ee*complex(0,1))',
                order = {'QED': 1})

GC_4 = Coupling(name = 'GC_4',
                value = '-G',
                order = {'QCD': 1})

GC_5 = Coupling(name = 'GC_5',
                value = 'complex(0,1)*G',
                order = {'QCD': 1})

GC_6 = Coupling(name = 'GC_6',
                value = 'complex(0,1)*G**2',
                order = {'QCD': 2})

GC_7 = Coupling(name = 'GC_7',
                value = 'cw*complex(0,1)*gw',
                order = {'QED': 1})

GC_8 = Coupling(name = 'GC_8',
                value = '-(complex(0,1)*gw**2)',
                order = {'QED': 2})

GC_9 = Coupling(name = 'GC_9',
                value = 'cw**2*complex(0,1)*gw**2',
                order = {'QED': 2})

GC_10 = Coupling(name = 'GC_10',
                 value = '-6*complex(0,1)*lam',
                 order = {'QED': 2})

GC_11 = Coupling(name = 'GC_11',
                 value = 'ee**2*complex(0,1)',
                 order = {'QED': 2})

GC_12 = Coupling(name = 'GC_12',
                 value = '-2*cw*complex(0,1)*ee**2/sw',
                 order = {'QED': 2})

GC_13 = Coupling(name = 'GC_13',
                 value = 'ee*complex(0,1)',
                 order = {'QED': 1})

GC_20 = Coupling(name = 'GC_20',
                 value = '(CKM1x1*ee*complex(0,1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_21 = Coupling(name = 'GC_21',
                 value = '(CKM1x2*ee*complex(0,1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_22 = Coupling(name = 'GC_22',
                 value = '(CKM2x1*ee*complex(0,1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_23 = Coupling(name = 'GC_23',
                 value = '(CKM2x2*ee*complex(0,1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_24 = Coupling(name = 'GC_24',
                 value = '(ee*complex(0,1)*complexconjugate(CKM1x1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_25 = Coupling(name = 'GC_25',
                 value = '(ee*complex(0,1)*complexconjugate(CKM1x2))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_26 = Coupling(name = 'GC_26',
                 value = '(ee*complex(0,1)*complexconjugate(CKM2x1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_27 = Coupling(name = 'GC_27',
                 value = '(ee*complex(0,1)*complexconjugate(CKM2x2))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_28 = Coupling(name = 'GC_28',
                 value = '(ee*complex(0,1))/(sw*cmath.sqrt(2))',
                 order = {'QED': 1})

GC_30 = Coupling(name = 'GC_30',
                 value = '(ee*complex(0,1))/(2.*sw*cw)',
                 order = {'QED': 1})

GC_31 = Coupling(name = 'GC_31',
                 value = '-(ee*complex(0,1))/(2.*sw*cw)',
                 order = {'QED': 1})

GC_32 = Coupling(name = 'GC_32',
                 value = '-(2*ee*complex(0,1)*sw)/(3.*cw)',
                 order = {'QED': 1})

GC_33 = Coupling(name = 'GC_33',
                 value = '(ee*complex(0,1)*sw)/(3.*cw)',
                 order = {'QED': 1})

GC_34 = Coupling(name = 'GC_34',
                 value = '(ee*complex(0,1)*(-1 + sw2))/(2.*sw*cw)',
                 order = {'QED': 1})

GC_35 = Coupling(name = 'GC_35',
                 value = '(ee*complex(0,1)*sw)/(2.*cw)',
                 order = {'QED': 1})

GC_40 = Coupling(name = 'GC_40',
                 value = '(ee**2*complex(0,1)*vev)/(2.*sw**2)',
                 order = {'QED': 1})

GC_41 = Coupling(name = 'GC_41',
                 value = '(ee**2*complex(0,1)*vev)/(2.*sw**2*cw**2)',
                 order = {'QED': 1})

GC_42 = Coupling(name = 'GC_42',
                 value = '-6*complex(0,1)*lam*vev',
                 order = {'QED': 1})

GC_43 = Coupling(name = 'GC_43',
                 value = '(ee**2*complex(0,1))/(2.*sw**2)',
                 order = {'QED': 2})

GC_44 = Coupling(name = 'GC_44',
                 value = '(ee**2*complex(0,1))/(2.*sw**2*cw**2)',
                 order = {'QED': 2})

GC_45 = Coupling(name = 'GC_45',
                 value = '-((complex(0,1)*yb)/cmath.sqrt(2))',
                 order = {'QED': 1})

GC_46 = Coupling(name = 'GC_46',
                 value = '-((complex(0,1)*yc)/cmath.sqrt(2))',
                 order = {'QED': 1})

GC_47 = Coupling(name = 'GC_47',
                 value = '-((complex(0,1)*yt)/cmath.sqrt(2))',
                 order = {'QED': 1})

GC_48 = Coupling(name = 'GC_48',
                 value = '-((complex(0,1)*ytau)/cmath.sqrt(2))',
                 order = {'QED': 1})

GC_50 = Coupling(name = 'GC_50',
                 value = 'complex(0,1)*gzp',
                 order = {'QED': 1})

GC_51 = Coupling(name = 'GC_51',
                 value = 'complex(0,1)*gzp*xq',
                 order = {'QED': 1})
