# The parameters of numhep's test model: MadGraph's sm inputs (G_mu scheme) and a Z'.
from object_library import all_parameters, Parameter

from function_library import complexconjugate, re, im, csc, sec, acsc, asec, cot

# This is a default parameter object representing 0.
ZERO = Parameter(name = 'ZERO',
                 nature = 'internal',
                 type = 'real',
                 value = '0.0',
                 texname = '0')

# User-defined parameters.
cabi = Parameter(name = 'cabi',
                 nature = 'external',
                 type = 'real',
                 value = 0.227736,
                 texname = '\\theta_c',
                 lhablock = 'CKMBLOCK',
                 lhacode = [1])

aEWM1 = Parameter(name = 'aEWM1',
                  nature = 'external',
                  type = 'real',
                  value = 132.507,
                  texname = '\\text{aEWM1}',
                  lhablock = 'SMINPUTS',
                  lhacode = [1])

Gf = Parameter(name = 'Gf',
               nature = 'external',
               type = 'real',
               value = 1.16639e-05,
               texname = 'G_f',
               lhablock = 'SMINPUTS',
               lhacode = [2])

aS = Parameter(name = 'aS',
               nature = 'external',
               type = 'real',
               value = 0.118,
               texname = '\\alpha _s',
               lhablock = 'SMINPUTS',
               lhacode = [3])

ymc = Parameter(name = 'ymc',
                nature = 'external',
                type = 'real',
                value = 1.27,
                texname = '\\text{ymc}',
                lhablock = 'YUKAWA',
                lhacode = [4])

ymb = Parameter(name = 'ymb',
                nature = 'external',
                type = 'real',
                value = 4.7,
                texname = '\\text{ymb}',
                lhablock = 'YUKAWA',
                lhacode = [5])

ymt = Parameter(name = 'ymt',
                nature = 'external',
                type = 'real',
                value = 173.0,
                texname = '\\text{ymt}',
                lhablock = 'YUKAWA',
                lhacode = [6])

ymtau = Parameter(name = 'ymtau',
                  nature = 'external',
                  type = 'real',
                  value = 1.777,
                  texname = '\\text{ymtau}',
                  lhablock = 'YUKAWA',
                  lhacode = [15])

gzp = Parameter(name = 'gzp',
                nature = 'external',
                type = 'real',
                value = 0.2,
                texname = "g_{Z'}",
                lhablock = 'ZPCOUP',
                lhacode = [1])

xq = Parameter(name = 'xq',
               nature = 'external',
               type = 'real',
               value = 0.5,
               texname = 'x_q',
               lhablock = 'ZPCOUP',
               lhacode = [2])

MC = Parameter(name = 'MC',
               nature = 'external',
               type = 'real',
               value = 1.27,
               texname = '\\text{MC}',
               lhablock = 'MASS',
               lhacode = [4])

MT = Parameter(name = 'MT',
               nature = 'external',
               type = 'real',
               value = 173.0,
               texname = '\\text{MT}',
               lhablock = 'MASS',
               lhacode = [6])

MB = Parameter(name = 'MB',
               nature = 'external',
               type = 'real',
               value = 4.7,
               texname = '\\text{MB}',
               lhablock = 'MASS',
               lhacode = [5])

MZ = Parameter(name = 'MZ',
               nature = 'external',
               type = 'real',
               value = 91.188,
               texname = '\\text{MZ}',
               lhablock = 'MASS',
               lhacode = [23])

MTA = Parameter(name = 'MTA',
                nature = 'external',
                type = 'real',
                value = 1.777,
                texname = '\\text{MTA}',
                lhablock = 'MASS',
                lhacode = [15])

MH = Parameter(name = 'MH',
               nature = 'external',
               type = 'real',
               value = 125.0,
               texname = '\\text{MH}',
               lhablock = 'MASS',
               lhacode = [25])

MZp = Parameter(name = 'MZp',
                nature = 'external',
                type = 'real',
                value = 1500.0,
                texname = "M_{Z'}",
                lhablock = 'MASS',
                lhacode = [32])

WT = Parameter(name = 'WT',
               nature = 'external',
               type = 'real',
               value = 1.4915,
               texname = '\\text{WT}',
               lhablock = 'DECAY',
               lhacode = [6])

WZ = Parameter(name = 'WZ',
               nature = 'external',
               type = 'real',
               value = 2.441404,
               texname = '\\text{WZ}',
               lhablock = 'DECAY',
               lhacode = [23])

WW = Parameter(name = 'WW',
               nature = 'external',
               type = 'real',
               value = 2.0476,
               texname = '\\text{WW}',
               lhablock = 'DECAY',
               lhacode = [24])

WH = Parameter(name = 'WH',
               nature = 'external',
               type = 'real',
               value = 0.006382339,
               texname = '\\text{WH}',
               lhablock = 'DECAY',
               lhacode = [25])

WZp = Parameter(name = 'WZp',
                nature = 'external',
                type = 'real',
                value = 45.0,
                texname = "\\Gamma_{Z'}",
                lhablock = 'DECAY',
                lhacode = [32])

# Internal parameters.
CKM1x1 = Parameter(name = 'CKM1x1',
                   nature = 'internal',
                   type = 'complex',
                   value = 'cmath.cos(cabi)',
                   texname = '\\text{CKM1x1}')

CKM1x2 = Parameter(name = 'CKM1x2',
                   nature = 'internal',
                   type = 'complex',
                   value = 'cmath.sin(cabi)',
                   texname = '\\text{CKM1x2}')

CKM2x1 = Parameter(name = 'CKM2x1',
                   nature = 'internal',
                   type = 'complex',
                   value = '-cmath.sin(cabi)',
                   texname = '\\text{CKM2x1}')

CKM2x2 = Parameter(name = 'CKM2x2',
                   nature = 'internal',
                   type = 'complex',
                   value = 'cmath.cos(cabi)',
                   texname = '\\text{CKM2x2}')

aEW = Parameter(name = 'aEW',
                nature = 'internal',
                type = 'real',
                value = '1/aEWM1',
                texname = '\\alpha _{\\text{EW}}')

G = Parameter(name = 'G',
              nature = 'internal',
              type = 'real',
              value = '2*cmath.sqrt(aS)*cmath.sqrt(cmath.pi)',
              texname = 'G')

MW = Parameter(name = 'MW',
               nature = 'internal',
               type = 'real',
               value = 'cmath.sqrt(MZ**2/2. + cmath.sqrt(MZ**4/4. - (aEW*cmath.pi*MZ**2)/(Gf*cmath.sqrt(2))))',
               texname = 'M_W')

ee = Parameter(name = 'ee',
               nature = 'internal',
               type = 'real',
               value = '2*cmath.sqrt(aEW)*cmath.sqrt(cmath.pi)',
               texname = 'e')

sw2 = Parameter(name = 'sw2',
                nature = 'internal',
                type = 'real',
                value = '1 - MW**2/MZ**2',
                texname = '\\text{sw2}')

cw = Parameter(name = 'cw',
               nature = 'internal',
               type = 'real',
               value = 'cmath.sqrt(1 - sw2)',
               texname = 'c_w')

sw = Parameter(name = 'sw',
               nature = 'internal',
               type = 'real',
               value = 'cmath.sqrt(sw2)',
               texname = 's_w')

g1 = Parameter(name = 'g1',
               nature = 'internal',
               type = 'real',
               value = 'ee/cw',
               texname = 'g_1')

gw = Parameter(name = 'gw',
               nature = 'internal',
               type = 'real',
               value = 'ee/sw',
               texname = 'g_w')

vev = Parameter(name = 'vev',
                nature = 'internal',
                type = 'real',
                value = '(2*MW*sw)/ee',
                texname = 'v')

lam = Parameter(name = 'lam',
                nature = 'internal',
                type = 'real',
                value = 'MH**2/(2.*vev**2)',
                texname = '\\lambda')

yc = Parameter(name = 'yc',
               nature = 'internal',
               type = 'real',
               value = '(ymc*cmath.sqrt(2))/vev',
               texname = '\\text{yc}')

yb = Parameter(name = 'yb',
               nature = 'internal',
               type = 'real',
               value = '(ymb*cmath.sqrt(2))/vev',
               texname = '\\text{yb}')

yt = Parameter(name = 'yt',
               nature = 'internal',
               type = 'real',
               value = '(ymt*cmath.sqrt(2))/vev',
               texname = '\\text{yt}')

ytau = Parameter(name = 'ytau',
                 nature = 'internal',
                 type = 'real',
                 value = '(ymtau*cmath.sqrt(2))/vev',
                 texname = '\\text{ytau}')
